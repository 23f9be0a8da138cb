import { api } from './api.ts';
import { $, badge, h } from './dom.ts';
import { every } from './every.ts';
import { ago } from './format.ts';
import { shownState, TERMINAL } from './job-states.ts';
import type { Hive, Job } from './types.ts';

const FILTERS = ['hive', 'worker', 'state'] as const;

/** The jobs page: the newest 200 jobs, filtered by hive, worker and state (kept in the URL). */
export async function jobsPage() {
  const form = $<HTMLFormElement>('#job-filters');
  const field = (name: (typeof FILTERS)[number]) =>
    form.elements.namedItem(name) as HTMLSelectElement;
  const params = new URLSearchParams(location.search);
  const [hv, w] = await Promise.all([api('GET', '/api/hives'), api('GET', '/workers')]);
  const hives = hv.body.hives as Hive[];
  const hiveNames = new Map(hives.map((x) => [x.id, x.name]));
  field('hive').replaceChildren(
    h('option', { value: '' }, 'any'),
    ...hives.map((x) => h('option', { value: x.name }, x.name)),
  );
  field('worker').replaceChildren(
    h('option', { value: '' }, 'any'),
    ...(w.body.workers as { id: string }[]).map((x) => h('option', { value: x.id }, x.id)),
  );
  for (const k of FILTERS) field(k).value = params.get(k) || '';
  const tbody = $('#jobs tbody');
  const refresh = async () => {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (field(k).value) q.set(k, field(k).value);
    history.replaceState(null, '', q.size ? `?${q}` : location.pathname);
    const worker = field('worker').value;
    q.delete('worker');
    q.set('limit', worker ? '1000' : '200');
    const r = await api('GET', `/api/jobs?${q}`);
    const jobs = (r.body.jobs as Job[]).filter((j) => !worker || j.worker === worker).slice(0, 200);
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
  form.addEventListener('change', () => void refresh());
  return every(2000, refresh);
}
