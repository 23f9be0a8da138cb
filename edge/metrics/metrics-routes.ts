import { Hono } from 'hono';
import { bearer, hashToken, sameDigest } from '../auth/tokens.ts';
import { apiError } from '../http/errors.ts';
import { adminTokenCheck } from '../http/require-admin.ts';
import type { Hub } from '../hub/hub.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { Store } from '../store/store.ts';
import type { WebhookService } from '../webhooks/webhook-service.ts';
import { DURATION_BUCKETS, Histogram } from './histogram.ts';
import { PrometheusText } from './prometheus-text.ts';

const count = <K extends string>(keys: K[]) => {
  const out = new Map<string, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
};

const rowsOf = (table: Record<string, number> | Map<string, number>, label: string) =>
  [...(table instanceof Map ? table : Object.entries(table))].map(([k, value]) => ({
    labels: { [label]: k },
    value,
  }));

/**
 * `GET /metrics` in the Prometheus text format. With `--metrics-token` the scraper sends that
 * token as its bearer; without it, any API token (viewer or up) opens it.
 */
export function metricsRoutes(deps: {
  store: Store;
  hub: Hub;
  jobs: JobService;
  metricsToken: string | null;
  now: () => number;
  webhooks?: WebhookService;
}) {
  const { store, hub, jobs } = deps;
  const durations = new Histogram(DURATION_BUCKETS);
  const ended = new Map<string, number>();
  jobs.onJobEnd((job) => {
    const key = `${job.state}\u0000${job.worker}`;
    ended.set(key, (ended.get(key) ?? 0) + 1);
    const start = job.dispatched_at ?? job.created_at;
    if (job.ended_at !== null && job.state !== 'delivery_timed_out') {
      durations.observe((job.ended_at - start) / 1000, { worker: job.worker, outcome: job.state });
    }
  });
  const isAdmin = adminTokenCheck(store, deps.now);
  const metricsHash = deps.metricsToken ? hashToken(deps.metricsToken) : null;

  const allowed = async (token: string | null) => {
    if (!token) return false;
    if (metricsHash) return sameDigest(await metricsHash, await hashToken(token));
    const named = await store.getApiTokenByHash(await hashToken(token));
    if (named) return named.revoked_at === null && (named.expires_at ?? Infinity) > deps.now();
    return isAdmin(token);
  };

  const app = new Hono();
  app.get('/metrics', async (c) => {
    if (!(await allowed(bearer(c.req.header('Authorization'))))) {
      const which = metricsHash ? 'the --metrics-token' : 'an API token (viewer or up)';
      return apiError(c, 401, 'UNAUTHORIZED', `/metrics needs Authorization: Bearer <${which}>`);
    }
    const t0 = performance.now();
    const [hives, open, rollouts] = await Promise.all([
      store.listHives(),
      store.listOpenJobs(),
      store.listRollouts(1000),
    ]);
    const storeSeconds = (performance.now() - t0) / 1000;
    const m = hub.metrics;
    const text = new PrometheusText()
      .table(
        'rbee_hives_connected',
        'gauge',
        'Hives with a live agent socket on this edge instance',
        [{ labels: {}, value: hub.onlineCount() }],
      )
      .table('rbee_hives_enrolled', 'gauge', 'Hives enrolled in the store', [
        { labels: {}, value: hives.length },
      ])
      .table(
        'rbee_hive_agent_versions',
        'gauge',
        'Enrolled hives by the agent version they last reported',
        rowsOf(count(hives.map((h) => h.agent_version ?? 'unknown')), 'version'),
      )
      .table(
        'rbee_jobs_open',
        'gauge',
        'Jobs not yet in a terminal state, by state and worker',
        [...count(open.map((j) => `${j.state}\u0000${j.worker}`))].map(([k, value]) => {
          const [state, worker] = k.split('\u0000') as [string, string];
          return { labels: { state, worker }, value };
        }),
      )
      .table(
        'rbee_jobs_ended_total',
        'counter',
        'Jobs that reached a terminal state while this instance ran, by state and worker',
        [...ended].map(([k, value]) => {
          const [state, worker] = k.split('\u0000') as [string, string];
          return { labels: { state, worker }, value };
        }),
      )
      .histogram(
        'rbee_job_duration_seconds',
        'Time from dispatch to the end of each job, by worker and outcome',
        durations,
      )
      .table(
        'rbee_rollouts',
        'gauge',
        'The newest 1000 rollouts by state',
        rowsOf(count(rollouts.map((r) => r.state)), 'state'),
      )
      .table(
        'rbee_webhook_attempts_total',
        'counter',
        'Webhook delivery attempts by this instance, by outcome (delivered, retried, failed)',
        rowsOf(deps.webhooks?.attempts ?? new Map(), 'outcome'),
      )
      .table('rbee_log_entries_stored_total', 'counter', 'Log entries stored from agents', [
        { labels: {}, value: m.logEntriesStored },
      ])
      .table('rbee_log_bytes_stored_total', 'counter', 'Log bytes stored from agents', [
        { labels: {}, value: m.logBytesStored },
      ])
      .histogram(
        'rbee_store_log_commit_seconds',
        'Time of each log append commit to the store',
        m.logCommit,
      )
      .table('rbee_store_scrape_read_seconds', 'gauge', 'Time the store took for this scrape', [
        { labels: {}, value: storeSeconds },
      ])
      .table(
        'rbee_refused_total',
        'counter',
        'Agent messages refused, by error code',
        rowsOf(m.refused, 'code'),
      )
      .table('rbee_ws_connections_opened_total', 'counter', 'Agent WebSocket connections opened', [
        { labels: {}, value: m.connections },
      ])
      .table(
        'rbee_ws_messages_received_total',
        'counter',
        'Agent messages received, by type',
        rowsOf(m.received, 'type'),
      )
      .table(
        'rbee_ws_messages_sent_total',
        'counter',
        'Messages sent to agents, by type',
        rowsOf(m.sent, 'type'),
      );
    return c.body(text.toString(), 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
  return app;
}
