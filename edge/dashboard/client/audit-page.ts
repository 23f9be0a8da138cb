import type { AuditQuery } from '../../../shared/api/audit.ts';
import { client, why } from './client.ts';
import { $, h } from './dom.ts';
import { ago } from './format.ts';

const FIELDS = ['actor', 'action', 'since'] as const;

/** The audit page: the newest entries first, filtered by actor, action and age (in the URL). */
export function auditPage() {
  const form = $<HTMLFormElement>('#audit-filters');
  const tbody = $('#audit tbody');
  const field = (name: (typeof FIELDS)[number]) =>
    form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
  const params = new URLSearchParams(location.search);
  for (const k of FIELDS) field(k).value = params.get(k) || '';
  const draw = async () => {
    const q = new URLSearchParams();
    for (const k of FIELDS) if (field(k).value.trim()) q.set(k, field(k).value.trim());
    history.replaceState(null, '', q.size ? `?${q}` : location.pathname);
    const filter: AuditQuery = { limit: 500 };
    if (field('actor').value.trim()) filter.actor = field('actor').value.trim();
    if (field('action').value.trim()) filter.action = field('action').value.trim();
    if (field('since').value) filter.since = Date.now() - Number(field('since').value);
    let entries: Awaited<ReturnType<typeof client.audit>>;
    try {
      entries = await client.audit(filter);
    } catch (e) {
      tbody.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'error' }, why(e))));
      return;
    }
    tbody.replaceChildren(
      ...entries.map((e) =>
        h(
          'tr',
          { dataset: { action: e.action, actor: e.actor } },
          h('td', { title: new Date(e.at).toLocaleString() }, ago(e.at)),
          h('td', {}, e.actor, ' ', h('span', { class: 'muted' }, e.role)),
          h('td', {}, h('code', {}, e.action)),
          h('td', {}, e.target ?? ''),
          h('td', {}, h('span', { class: e.status < 400 ? 'yes' : 'no' }, String(e.status))),
          h('td', { class: 'muted' }, e.source ?? ''),
        ),
      ),
    );
    if (entries.length === 0) {
      tbody.replaceChildren(
        h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No entry matches.')),
      );
    }
  };
  form.addEventListener('change', () => void draw());
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void draw();
  });
  void draw();
}
