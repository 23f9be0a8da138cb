import { ApiError, can, client, why } from './client.ts';
import { $, badge, h } from './dom.ts';
import { ago, plural } from './format.ts';
import { shownState } from './job-states.ts';
import { live } from './live.ts';
import { paintRolloutBar } from './rollout-bar.ts';
import type { Job, Rollout, RolloutCounts } from './types.ts';

const finished = (c: RolloutCounts) => c.succeeded + c.failed + c.cancelled;

/** The rollouts page: every rollout with its progress, updated by push. */
export function rolloutsPage() {
  const tbody = $('#rollouts tbody');
  const note = (text: string) =>
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, text)));
  live(['rollouts'], async () => {
    const rollouts = (await client.listRollouts()) as Rollout[];
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
            (() => {
              const bar = h('div', { class: 'progress small' });
              paintRolloutBar(bar, ro.counts);
              return bar;
            })(),
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
    try {
      await client.cancelRollout(id);
      refused.hidden = true;
    } catch (e) {
      refused.hidden = e instanceof ApiError && e.status === 409;
      refused.textContent = `Cancel refused: ${why(e)}`;
      cancel.disabled = false;
    }
  });
  live(['rollouts', 'jobs'], async () => {
    let r: Rollout;
    try {
      r = (await client.getRollout(id)) as Rollout;
    } catch (e) {
      $('#rollout-summary').textContent = why(e);
      return;
    }
    const [all, hives] = await Promise.all([client.listJobs({ limit: 1000 }), client.listHives()]);
    const names = new Map(hives.map((x) => [x.id, x.name]));
    const jobs = (all as Job[]).filter((j) => j.rollout === id);
    const c = r.counts;
    $('#rollout-state').replaceChildren(badge(r.state));
    $('#rollout-state').dataset.state = r.state;
    cancel.hidden = r.ended_at !== null || !can('operator');
    if (r.cancel_requested) {
      cancel.disabled = true;
      cancel.textContent = 'Cancelled';
    }
    $('#rollout-note').textContent =
      `${r.kind} ${r.worker} on ${plural(c.total, 'hive')} · ` +
      `${r.max_concurrency ? `at most ${r.max_concurrency} at once` : 'all at once'} · ` +
      `${r.max_errors ? `stops after ${r.max_errors} failed` : 'never stops on failures'} · started ${ago(r.created_at)}` +
      (r.cancel_requested ? ' · cancelled by an admin' : '');
    paintRolloutBar($('#rollout-bar'), c);
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
