import { api } from './api.ts';
import { $, badge, h } from './dom.ts';
import { every } from './every.ts';
import { ago, plural } from './format.ts';
import type { Hive } from './types.ts';

type Platform = NonNullable<Hive['platform']>;

function platformText(p: Hive['platform']) {
  if (!p) return h('span', { class: 'muted' }, 'not reported yet');
  return h(
    'span',
    {},
    `${p.os} / ${p.arch}`,
    p.hostname ? h('div', { class: 'muted' }, p.hostname) : null,
  );
}

function acceleratorsText(p: Platform | null) {
  if (!p) return '';
  if (p.accelerators.length === 0) return h('span', { class: 'muted' }, 'none');
  return p.accelerators.map((a) =>
    h(
      'span',
      { class: 'chip' },
      a.kind + (a.name ? ` · ${a.name}` : '') + (a.driver ? ` (driver ${a.driver})` : ''),
    ),
  );
}

const labelsText = (labels: Hive['labels']) =>
  Object.entries(labels).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`));

/** The fleet page: every hive, its status, platform and installed workers, every 2 s. */
export function fleetPage() {
  const tbody = $('#hives tbody');
  return every(
    2000,
    async () => {
      const r = await api('GET', '/api/hives');
      const hives = (r.body.hives as Hive[]).sort((a, b) => a.name.localeCompare(b.name));
      const online = hives.filter((x) => x.online).length;
      $('#fleet-summary').textContent = `${plural(hives.length, 'hive')}, ${online} online`;
      tbody.replaceChildren(
        ...hives.map((hv) =>
          h(
            'tr',
            { dataset: { hive: hv.name } },
            h('td', {}, h('strong', {}, hv.name), h('div', { class: 'muted' }, hv.id)),
            h(
              'td',
              {},
              badge(hv.online ? 'online' : 'offline'),
              h(
                'div',
                { class: 'muted' },
                hv.online ? 'connected' : `last seen ${ago(hv.last_seen)}`,
              ),
            ),
            h('td', {}, platformText(hv.platform)),
            h('td', {}, acceleratorsText(hv.platform)),
            h('td', {}, labelsText(hv.labels)),
            h(
              'td',
              {},
              hv.installed.length === 0
                ? h('span', { class: 'muted' }, 'none')
                : hv.installed.map((w) =>
                    h('div', {}, `${w.id} `, h('span', { class: 'muted' }, w.version)),
                  ),
            ),
          ),
        ),
      );
      if (hives.length === 0) {
        tbody.replaceChildren(
          h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No hive is enrolled yet.')),
        );
      }
    },
    (e) => {
      $('#fleet-summary').textContent = `update failed: ${e.message}`;
    },
  );
}
