import { can, client, why } from './client.ts';
import { $, badge, h } from './dom.ts';
import { durationChart, durationSeries } from './duration-chart.ts';
import { agentIsOlder, fleetSummary, type Tally } from './fleet-summary.ts';
import { ago, plural } from './format.ts';
import { live } from './live.ts';
import type { Hive, Job } from './types.ts';

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

/** A summary tile: a title and its counts as rows; `mark` flags rows (older agents). */
function tile(id: string, title: string, rows: Tally, mark?: (key: string) => string | null) {
  return h(
    'div',
    { class: 'card tile', id },
    h('h2', {}, title),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h(
          'table',
          {},
          h(
            'tbody',
            {},
            rows.map(([key, n]) =>
              h(
                'tr',
                { dataset: { key } },
                h('td', {}, key, mark?.(key) ? h('span', { class: 'old' }, ` ${mark(key)}`) : null),
                h('td', { class: 'n' }, String(n)),
              ),
            ),
          ),
        ),
  );
}

/**
 * The builder flag of a hive: a switch for admins (POST /api/hives/:id/builder), a label for
 * the rest. A builder may upload what it built to the package cache.
 */
function builderCell(hv: Hive, changed: () => void) {
  if (!can('admin')) {
    return hv.builder
      ? h('span', { class: 'chip cached' }, 'builder')
      : h('span', { class: 'muted' }, '—');
  }
  const box = h('input', {
    type: 'checkbox',
    class: 'builder-toggle',
    checked: hv.builder === true,
    title: 'May upload what it builds to the package cache',
  }) as HTMLInputElement;
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      await client.setBuilder(hv.id, box.checked);
    } catch (e) {
      box.checked = !box.checked;
      $('#builders-note').textContent = `Builder change refused: ${why(e)}`;
    }
    changed();
  });
  return h(
    'label',
    {},
    box,
    ' builder',
    hv.builder && !hv.builder_key_id ? h('div', { class: 'muted' }, 'no key registered yet') : null,
  );
}

function agentText(hv: Hive, edgeAgent: string | null) {
  if (!hv.agent_version) return h('span', { class: 'muted' }, 'not reported');
  const older = agentIsOlder(hv.agent_version, edgeAgent);
  return h(
    'span',
    { class: older ? 'old' : '', dataset: { older: String(older) } },
    hv.agent_version,
    older ? h('div', { class: 'muted' }, `older than the edge's ${edgeAgent}`) : null,
  );
}

/**
 * The fleet page: a summary (hives by state, platform and agent version; workers by
 * version), job durations per worker, and every hive. It re-reads when the edge pushes a
 * change (live.ts), not on a timer.
 */
export function fleetPage() {
  const tbody = $('#hives tbody');
  let edgeAgent: string | null = null;
  const version = client.agentVersion().then(
    (v) => {
      edgeAgent = v.version;
    },
    () => {}, // an edge without an agent bundle: nothing is marked older
  );
  const drawHives = async () => {
    await version;
    const hives = ((await client.listHives()) as Hive[]).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    const online = hives.filter((x) => x.online).length;
    const sum = fleetSummary(hives, edgeAgent);
    $('#fleet-summary').textContent = `${plural(hives.length, 'hive')}, ${online} online`;
    $('#fleet-overview').replaceChildren(
      tile('by-state', 'Hives by state', sum.states),
      tile('by-platform', 'By platform', sum.platforms),
      tile(
        'by-agent',
        `Agent versions${edgeAgent ? ` (edge serves ${edgeAgent})` : ''}`,
        sum.agents,
        (v) => (sum.older.has(v) ? 'older' : null),
      ),
      h(
        'div',
        { class: 'card tile', id: 'by-worker' },
        h('h2', {}, 'Workers installed'),
        sum.workers.length === 0
          ? h('p', { class: 'muted' }, 'none yet')
          : h(
              'table',
              {},
              h(
                'tbody',
                {},
                sum.workers.map(([w, versions]) =>
                  h(
                    'tr',
                    { dataset: { worker: w } },
                    h('td', {}, w),
                    h(
                      'td',
                      {},
                      versions.map(([v, n]) => h('span', { class: 'chip' }, `${v} × ${n}`)),
                    ),
                  ),
                ),
              ),
            ),
      ),
    );
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
          h('td', { class: 'agent' }, agentText(hv, edgeAgent)),
          h(
            'td',
            { class: 'builder' },
            builderCell(hv, () => void redraw()),
          ),
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
        h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No hive is enrolled yet.')),
      );
    }
  };
  const redraw = async () => {
    await drawHives();
    await drawBuilders();
  };
  /** Says when the signed builder set no longer names the builders of now. */
  const drawBuilders = async () => {
    const set = await client.listBuilders().catch(() => null);
    const note = $('#builders-note');
    note.hidden = !set || set.current || set.builders.length === 0;
    if (set && !set.current) {
      note.textContent = `The builder set changed since it was last signed (${set.builders.length} builder${set.builders.length === 1 ? '' : 's'} now): agents install cached packages only from builders in the signed set, so sign it again with \`rbee builders sign\`.`;
    }
  };
  const drawDurations = async () => {
    const jobs = (await client.listJobs({ limit: 1000 })) as Job[];
    $('#duration-chart').replaceChildren(durationChart(durationSeries(jobs)));
  };
  const fail = (e: Error) => {
    $('#fleet-summary').textContent = `update failed: ${e.message}`;
  };
  live(['hives'], redraw, fail);
  live(['jobs'], drawDurations, fail);
}
