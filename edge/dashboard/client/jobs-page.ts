import type { JobState } from '../../../shared/protocol/job.ts';
import { client } from './client.ts';
import { $, badge, h } from './dom.ts';
import { ago } from './format.ts';
import { shownState, TERMINAL } from './job-states.ts';
import { live } from './live.ts';
import type { Job } from './types.ts';

const FILTERS = ['hive', 'worker', 'state'] as const;

/**
 * The jobs page: the newest 200 jobs, filtered by hive, worker and state (kept in the URL),
 * updated by push.
 */
export async function jobsPage() {
  const form = $<HTMLFormElement>('#job-filters');
  const field = (name: (typeof FILTERS)[number]) =>
    form.elements.namedItem(name) as HTMLSelectElement;
  const params = new URLSearchParams(location.search);
  const [hives, workers] = await Promise.all([client.listHives(), client.listWorkers()]);
  const hiveNames = new Map(hives.map((x) => [x.id, x.name]));
  field('hive').replaceChildren(
    h('option', { value: '' }, 'any'),
    ...hives.map((x) => h('option', { value: x.name }, x.name)),
  );
  field('worker').replaceChildren(
    h('option', { value: '' }, 'any'),
    ...workers.map((x) => h('option', { value: x.id }, x.id)),
  );
  for (const k of FILTERS) field(k).value = params.get(k) || '';
  const tbody = $('#jobs tbody');
  const refresh = async () => {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (field(k).value) q.set(k, field(k).value);
    history.replaceState(null, '', q.size ? `?${q}` : location.pathname);
    const worker = field('worker').value;
    const listed = (await client.listJobs({
      ...(field('hive').value ? { hive: field('hive').value } : {}),
      ...(field('state').value ? { state: field('state').value as JobState } : {}),
      limit: worker ? 1000 : 200,
    })) as Job[];
    const jobs = listed.filter((j) => !worker || j.worker === worker).slice(0, 200);
    if (jobs.some((j) => !hiveNames.has(j.hive))) {
      // a hive enrolled since the page opened: learn its name
      for (const x of await client.listHives()) hiveNames.set(x.id, x.name);
    }
    tbody.replaceChildren(
      ...jobs.map((j) =>
        h(
          'tr',
          { dataset: { job: j.id } },
          h('td', {}, h('a', { href: `/jobs/${j.id}` }, j.id)),
          h('td', {}, j.kind === 'install' ? j.worker : `${j.kind} ${j.worker}`),
          h('td', {}, hiveNames.get(j.hive) || j.hive),
          h(
            'td',
            {},
            badge(shownState(j)),
            j.cancel_requested && !TERMINAL.has(j.state)
              ? h('span', { class: 'muted' }, ' cancelling')
              : null,
          ),
          h('td', {}, j.error?.step ? h('span', { class: 'no' }, j.error.step) : j.step || ''),
          h('td', { title: new Date(j.created_at).toLocaleString() }, ago(j.created_at)),
          h('td', {}, j.rollout ? h('a', { href: `/rollouts/${j.rollout}` }, j.rollout) : ''),
        ),
      ),
    );
    if (jobs.length === 0) {
      tbody.replaceChildren(
        h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No job matches.')),
      );
    }
  };
  // Re-read when the edge pushes a change to the jobs (any instance), not on a timer.
  const feed = live(['jobs'], refresh);
  form.addEventListener('change', () => void feed.refresh());
}
