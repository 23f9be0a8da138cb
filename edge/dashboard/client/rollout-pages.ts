import { api } from './api.ts';
import { $, badge, h } from './dom.ts';
import { every } from './every.ts';
import { ago, plural } from './format.ts';
import { shownState } from './job-states.ts';
import type { Hive, Job, Rollout, RolloutCounts } from './types.ts';

const finished = (c: RolloutCounts) => c.succeeded + c.failed + c.cancelled;

/** The rollouts page: every rollout with its progress, every 2 s. */
export function rolloutsPage() {
  const tbody = $('#rollouts tbody');
  const note = (text: string) =>
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, text)));
  return every(2000, async () => {
    const r = await api('GET', '/api/rollouts');
    if (!r.ok) {
      note('This edge has no rollouts API.');
      return;
    }
    const rollouts = r.body.rollouts as Rollout[];
    tbody.replaceChildren(
      ...rollouts.map((ro) =>
        h(
          'tr',
          { dataset: { rollout: ro.id } },
          h('td', {}, h('a', { href: `/rollouts/${ro.id}` }, ro.id)),
          h('td', {}, `${ro.kind} ${ro.worker}`),
          h('td', {}, badge(ro.state)),
          h(
            'td',
            {},
            `${finished(ro.counts)} of ${ro.counts.total} done · ${ro.counts.succeeded} ok, ${ro.counts.failed} failed`,
          ),
          h('td', {}, ago(ro.created_at)),
        ),
      ),
    );
    if (rollouts.length === 0) note('No rollout yet: install on several hives from the catalog.');
  });
}

/** One rollout: its limits, progress bar, jobs per hive and a Cancel button while it runs. */
export function rolloutPage(id: string) {
  const cancel = $<HTMLButtonElement>('#cancel-rollout');
  const refused = $('#rollout-error');
  cancel.addEventListener('click', async () => {
    if (
      !confirm('Cancel this rollout? Waiting jobs are cancelled and running builds are stopped.')
    ) {
      return;
    }
    cancel.disabled = true;
    const r = await api('POST', `/api/rollouts/${encodeURIComponent(id)}/cancel`);
    refused.hidden = r.ok || r.status === 409;
    refused.textContent = r.ok ? '' : `Cancel refused: ${r.body.error}`;
    if (!r.ok) cancel.disabled = false;
  });
  return every(2000, async () => {
    const [ro, all, hv] = await Promise.all([
      api('GET', `/api/rollouts/${encodeURIComponent(id)}`),
      api('GET', '/api/jobs?limit=1000'),
      api('GET', '/api/hives'),
    ]);
    const names = new Map((hv.body.hives as Hive[]).map((x) => [x.id, x.name]));
    const jobs = (all.body.jobs as Job[]).filter((j) => j.rollout === id);
    if (!ro.ok) {
      $('#rollout-summary').textContent = ro.body.error || 'no such rollout';
      return;
    }
    const r = ro.body.rollout as Rollout;
    const c = r.counts;
    $('#rollout-state').replaceChildren(badge(r.state));
    $('#rollout-state').dataset.state = r.state;
    cancel.hidden = r.ended_at !== null;
    if (r.cancel_requested) {
      cancel.disabled = true;
      cancel.textContent = 'Cancelled';
    }
    $('#rollout-note').textContent =
      `${r.kind} ${r.worker} on ${plural(c.total, 'hive')} · ` +
      `${r.max_concurrency ? `at most ${r.max_concurrency} at once` : 'all at once'} · ` +
      `${r.max_errors ? `stops after ${r.max_errors} failed` : 'never stops on failures'} · started ${ago(r.created_at)}` +
      (r.cancel_requested ? ' · cancelled by an admin' : '');
    $('#rollout-bar').style.width = `${c.total ? (100 * finished(c)) / c.total : 0}%`;
    $('#rollout-summary').textContent =
      `${finished(c)} of ${c.total} finished: ${c.succeeded} succeeded, ${c.failed} failed, ` +
      `${c.cancelled} cancelled; ${c.in_progress} in progress, ${c.waiting} waiting for a slot`;
    $('#rollout-jobs tbody').replaceChildren(
      ...jobs.map((j) =>
        h(
          'tr',
          { dataset: { job: j.id } },
          h('td', {}, names.get(j.hive) || j.hive),
          h('td', {}, h('a', { href: `/jobs/${j.id}` }, j.id)),
          h('td', {}, badge(shownState(j))),
          h(
            'td',
            {},
            j.error?.step
              ? j.state === 'cancelled'
                ? h('span', { class: 'muted' }, `cancelled during ${j.error.step}`)
                : h('span', { class: 'no' }, `failed at ${j.error.step}`)
              : j.step || '',
          ),
        ),
      ),
    );
  });
}
