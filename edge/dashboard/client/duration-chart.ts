import { h } from './dom.ts';
import { duration } from './format.ts';
import type { Job } from './types.ts';

/** One ended job as a point: when it ended, how long it ran, how it ended. */
export type DurationPoint = { job: string; at: number; ms: number; state: string };

/** The colours of the series, in order (the same ones the legend shows). */
const COLOURS = ['#1d4ed8', '#157f3b', '#b54708', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f'];

/**
 * Ended install jobs per worker, oldest first: a job's duration runs from when its hive
 * accepted it (or was sent it) to its end. Jobs that never reached a hive are left out.
 */
export function durationSeries(jobs: Job[]): Map<string, DurationPoint[]> {
  const series = new Map<string, DurationPoint[]>();
  for (const j of jobs) {
    if (j.kind !== 'install' || !j.ended_at) continue;
    const start = j.accepted_at ?? j.dispatched_at;
    if (!start) continue;
    const list = series.get(j.worker) ?? [];
    list.push({ job: j.id, at: j.ended_at, ms: Math.max(0, j.ended_at - start), state: j.state });
    series.set(j.worker, list);
  }
  for (const list of series.values()) list.sort((a, b) => a.at - b.at);
  return new Map([...series].sort((a, b) => a[0].localeCompare(b[0])));
}

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag: string, attrs: Record<string, string | number>, ...kids: Node[]) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...kids);
  return el;
};

/**
 * A small inline SVG chart: time along, duration up, a line and dots per worker (a failed
 * job's dot is hollow), each dot titled with its job; a legend names the workers.
 */
export function durationChart(series: Map<string, DurationPoint[]>, width = 640, height = 180) {
  const all = [...series.values()].flat();
  if (all.length === 0) {
    return h('p', { class: 'muted' }, 'No install has finished yet.');
  }
  const pad = { l: 56, r: 12, t: 10, b: 22 };
  const t0 = Math.min(...all.map((p) => p.at));
  const t1 = Math.max(...all.map((p) => p.at));
  const top = Math.max(...all.map((p) => p.ms)) || 1;
  const x = (t: number) =>
    pad.l + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (width - pad.l - pad.r);
  const y = (ms: number) => height - pad.b - (ms / top) * (height - pad.t - pad.b);
  const chart = svg(
    'svg',
    {
      id: 'duration-svg',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': 'Job durations per worker over time',
    },
    svg('line', { x1: pad.l, y1: y(0), x2: width - pad.r, y2: y(0), stroke: '#d0d5dd' }),
    svg('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: y(0), stroke: '#d0d5dd' }),
    svg(
      'text',
      { x: pad.l - 6, y: pad.t + 8, 'text-anchor': 'end', 'font-size': 11, fill: '#667085' },
      document.createTextNode(duration(top)),
    ),
    svg(
      'text',
      { x: pad.l - 6, y: y(0), 'text-anchor': 'end', 'font-size': 11, fill: '#667085' },
      document.createTextNode('0'),
    ),
    svg(
      'text',
      { x: pad.l, y: height - 6, 'font-size': 11, fill: '#667085' },
      document.createTextNode(new Date(t0).toLocaleString()),
    ),
    svg(
      'text',
      { x: width - pad.r, y: height - 6, 'text-anchor': 'end', 'font-size': 11, fill: '#667085' },
      document.createTextNode(new Date(t1).toLocaleString()),
    ),
  );
  const legend = h('div', { class: 'legend' });
  let i = 0;
  for (const [worker, points] of series) {
    const colour = COLOURS[i++ % COLOURS.length]!;
    const g = svg('g', { 'data-worker': worker });
    if (points.length > 1) {
      g.append(
        svg('polyline', {
          points: points.map((p) => `${x(p.at).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' '),
          fill: 'none',
          stroke: colour,
          'stroke-width': 1.5,
        }),
      );
    }
    for (const p of points) {
      const ok = p.state === 'succeeded';
      g.append(
        svg(
          'circle',
          {
            cx: x(p.at).toFixed(1),
            cy: y(p.ms).toFixed(1),
            r: 3.5,
            fill: ok ? colour : '#fff',
            stroke: colour,
            'stroke-width': 1.5,
            'data-job': p.job,
            'data-state': p.state,
          },
          svg(
            'title',
            {},
            document.createTextNode(`${worker} ${p.job}: ${duration(p.ms)}, ${p.state}`),
          ),
        ),
      );
    }
    chart.append(g);
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = colour;
    legend.append(h('span', { class: 'chip' }, swatch, ` ${worker} (${points.length})`));
  }
  return h('div', {}, chart, legend);
}
