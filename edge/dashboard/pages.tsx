import { jobStateSchema } from '../../shared/protocol/job.ts';
import { Layout } from './layout.tsx';
import type { Who } from './who.ts';

export function LoginPage({ error, next }: { error?: string; next: string }) {
  return (
    <Layout title="Sign in">
      <form method="post" action="/login" class="card login">
        <h1>Sign in</h1>
        <p>
          Paste an API token: the admin token the edge printed at its first start, or a named token
          (viewer, operator or admin) made on the Tokens page.
        </p>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <input type="hidden" name="next" value={next} />
        <label>
          API token
          <input
            type="password"
            name="token"
            autocomplete="current-password"
            required
            autofocus
            spellcheck={false}
          />
        </label>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </Layout>
  );
}

export function FleetPage({ who }: { who: Who }) {
  return (
    <Layout title="Fleet" page="fleet" who={who}>
      <h1>
        Fleet <span class="muted" id="fleet-summary" />
      </h1>
      <section class="tiles" id="fleet-overview" />
      <p class="notice" id="builders-note" hidden />
      <section class="card" id="durations">
        <h2>Job durations per worker</h2>
        <p class="muted">Ended installs, from accepted to ended; a hollow dot did not succeed.</p>
        <div id="duration-chart" />
      </section>
      <table class="grid" id="hives">
        <thead>
          <tr>
            <th>Hive</th>
            <th>Status</th>
            <th>Platform</th>
            <th>Accelerators</th>
            <th>Labels</th>
            <th>Agent</th>
            <th>Builder</th>
            <th>Installed workers</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td colspan={8} class="muted">
              Loading…
            </td>
          </tr>
        </tbody>
      </table>
    </Layout>
  );
}

export function CatalogPage({ who }: { who: Who }) {
  return (
    <Layout title="Catalog" page="catalog" who={who}>
      <h1>Catalog</h1>
      <p class="muted" id="catalog-note" />
      <div id="catalog">Loading…</div>
    </Layout>
  );
}

export function JobsPage({ who }: { who: Who }) {
  return (
    <Layout title="Jobs" page="jobs" who={who}>
      <h1>Jobs</h1>
      <form id="job-filters" class="filters">
        <label>
          Hive <select name="hive" />
        </label>
        <label>
          Worker <select name="worker" />
        </label>
        <label>
          State
          <select name="state">
            <option value="">any</option>
            {jobStateSchema.options.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
      </form>
      <table class="grid" id="jobs">
        <thead>
          <tr>
            <th>Job</th>
            <th>Worker</th>
            <th>Hive</th>
            <th>State</th>
            <th>Step</th>
            <th>Created</th>
            <th>Rollout</th>
          </tr>
        </thead>
        <tbody />
      </table>
    </Layout>
  );
}

export function JobPage({ who, id }: { who: Who; id: string }) {
  return (
    <Layout title={id} page="job" who={who} data={{ job: id }}>
      <div class="job-head">
        <h1>
          <span id="job-title">{id}</span> <span class="badge" id="job-state" />
        </h1>
        <p class="muted" id="job-meta" />
        <button type="button" id="cancel" hidden>
          Cancel
        </button>
      </div>
      <div id="outcome" hidden />
      <ol id="steps" class="steps" />
      <div class="log-bar">
        <input type="search" id="log-search" placeholder="Search the log" />
        <span id="search-count" class="muted" />
        <button type="button" id="search-prev">
          ↑
        </button>
        <button type="button" id="search-next">
          ↓
        </button>
        <span class="spacer" />
        <span id="log-count" class="muted" />
        <a id="download" href={`/api/jobs/${id}/logs.txt`} download={`${id}.log`}>
          Download
        </a>
      </div>
      <div class="log-wrap">
        <div id="log" class="log" tabindex={0}>
          <div id="log-spacer" />
          <div id="log-rows" />
        </div>
        <button type="button" id="jump-end" hidden>
          ↓ Jump to end
        </button>
      </div>
    </Layout>
  );
}

export function RolloutPage({ who, id }: { who: Who; id: string }) {
  return (
    <Layout title={`Rollout ${id}`} page="rollout" who={who} data={{ rollout: id }}>
      <div class="job-head">
        <h1>
          Rollout <span>{id}</span> <span class="badge" id="rollout-state" />
        </h1>
        <p class="muted" id="rollout-note" />
        <button type="button" id="cancel-rollout" hidden>
          Cancel rollout
        </button>
      </div>
      <p class="no" id="rollout-error" hidden />
      <div class="progress" id="rollout-bar" />
      <p id="rollout-summary" />
      <table class="grid" id="rollout-jobs">
        <thead>
          <tr>
            <th>Hive</th>
            <th>Job</th>
            <th>State</th>
            <th>Step</th>
          </tr>
        </thead>
        <tbody />
      </table>
    </Layout>
  );
}

export function RolloutsPage({ who }: { who: Who }) {
  return (
    <Layout title="Rollouts" page="rollouts" who={who}>
      <h1>Rollouts</h1>
      <table class="grid" id="rollouts">
        <thead>
          <tr>
            <th>Rollout</th>
            <th>What</th>
            <th>State</th>
            <th>Progress</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody />
      </table>
    </Layout>
  );
}
