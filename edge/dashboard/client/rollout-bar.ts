import { h } from './dom.ts';
import type { RolloutCounts } from './types.ts';

/** The bar's segments in order, each a count of the rollout's and its colour class. */
const SEGMENTS = [
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['cancelled', 'cancelled'],
  ['in_progress', 'running'],
] as const;

/**
 * The share of each outcome, in percent of all the rollout's jobs; what is left is waiting.
 * @example segmentWidths({ total: 1, failed: 1, ... }) // { succeeded: 0, failed: 100, ... }
 */
export function segmentWidths(c: RolloutCounts): Record<(typeof SEGMENTS)[number][0], number> {
  const pct = (n: number) => (c.total ? (100 * n) / c.total : 0);
  return {
    succeeded: pct(c.succeeded),
    failed: pct(c.failed),
    cancelled: pct(c.cancelled),
    in_progress: pct(c.in_progress),
  };
}

/**
 * Fills a `.progress` element with one segment per outcome (green succeeded, red failed,
 * amber cancelled, blue running; the grey rest is waiting), each titled with its count, so a
 * rollout whose only job failed shows a red bar, not a green one.
 */
export function paintRolloutBar(bar: HTMLElement, c: RolloutCounts) {
  const widths = segmentWidths(c);
  bar.replaceChildren(
    ...SEGMENTS.filter(([k]) => c[k] > 0).map(([k, cls]) => {
      const seg = h('span', {
        class: `seg ${cls}`,
        dataset: { outcome: k, count: String(c[k]) },
        title: `${c[k]} ${k.replace('_', ' ')}`,
      });
      seg.style.width = `${widths[k]}%`; // CSSOM: the page's CSP allows no style attributes
      return seg;
    }),
  );
  bar.title = `${c.succeeded} succeeded, ${c.failed} failed, ${c.cancelled} cancelled, ${c.in_progress} in progress, ${c.waiting} waiting`;
}
