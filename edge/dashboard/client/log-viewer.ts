import { renderAnsi, stripAnsi } from './ansi.ts';
import { $ } from './dom.ts';

/** Line kinds: 0 stdout, 1 stderr, 2 step start, 3 step end, 4 step failed. */
export type LineKind = 0 | 1 | 2 | 3 | 4;

/** A pooled row element, tagged with the line and the generation it shows. */
type Row = HTMLDivElement & { _i: number; _g: number };

declare global {
  interface Window {
    /** Tests lower the scroll range cap to reach the mapped mode with fewer lines. */
    __rbeeMaxPx?: number;
  }
}

/** The log view the job page drives (and tests read through `window.__rbeeLog`). */
export type LogView = ReturnType<typeof logViewer>;

const ROW = 16;

/**
 * The job page's log: lines in flat arrays (text, and kinds in a growing Uint8Array), and only
 * the rows in view in the DOM, repainted at most once a frame. It follows the end until the
 * user scrolls up. Search runs in slices so a long log never blocks the page.
 */
export function logViewer() {
  const box = $('#log');
  const spacer = $('#log-spacer');
  const rowsEl = $('#log-rows');
  const jump = $('#jump-end');
  const texts: string[] = [];
  let kinds = new Uint8Array(4096);
  let n = 0;
  let follow = true;
  let queued = false;
  let painted = -1;
  let gen = 0;
  let hits: number[] = [];
  let hitSet = new Set<number>();
  let cur = -1;
  let query = '';
  const pool: Row[] = [];
  const onCount: ((n: number) => void)[] = [];
  const paint = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(render);
    }
  };
  function push(text: string, kind: LineKind) {
    if (n === kinds.length) {
      const k = new Uint8Array(n * 2);
      k.set(kinds);
      kinds = k;
    }
    texts.push(text);
    kinds[n] = kind;
    if (query && stripAnsi(text).toLowerCase().includes(query)) {
      hits.push(n);
      hitSet.add(n);
    }
    n++;
  }
  function fill(row: Row, i: number) {
    row.textContent = '';
    row.className = `ln k${kinds[i]}${i === cur ? ' cur' : hitSet.has(i) ? ' hit' : ''}`;
    const num = document.createElement('span');
    num.className = 'n';
    num.textContent = String(i + 1);
    row.append(num);
    renderAnsi(row, texts[i]!);
    row._i = i;
    row._g = gen;
  }
  // Chromium cannot lay out an element much taller than 33,554,428 px: past maxPx the scroll
  // range is kept at maxPx and mapped linearly onto the lines.
  const maxPx = window.__rbeeMaxPx || 15000000;
  const scrollRange = () => Math.min(n * ROW, maxPx);
  /** The line (fractional) at the top of the view for a scroll position, and the reverse. */
  function lineAt(top: number) {
    if (n * ROW <= maxPx) return top / ROW;
    const maxTop = scrollRange() - box.clientHeight;
    const maxLine = n - box.clientHeight / ROW;
    return maxTop > 0 ? (top / maxTop) * maxLine : 0;
  }
  function topFor(line: number) {
    if (n * ROW <= maxPx) return line * ROW;
    const maxTop = scrollRange() - box.clientHeight;
    const maxLine = n - box.clientHeight / ROW;
    return maxLine > 0 ? (line / maxLine) * maxTop : 0;
  }
  function render() {
    queued = false;
    if (painted !== n) {
      spacer.style.height = `${scrollRange()}px`;
      painted = n;
      for (const f of onCount) f(n);
    }
    if (follow) box.scrollTop = box.scrollHeight;
    const top = box.scrollTop;
    const height = box.clientHeight;
    const exact = lineAt(top);
    const first = Math.max(0, Math.floor(exact) - 4);
    const last = Math.min(n, Math.ceil(exact + height / ROW) + 4);
    rowsEl.style.transform = `translateY(${top - (exact - first) * ROW}px)`;
    while (pool.length < last - first) {
      const r = document.createElement('div') as Row;
      r._i = -1;
      rowsEl.append(r);
      pool.push(r);
    }
    for (let j = 0; j < pool.length; j++) {
      const row = pool[j]!;
      const i = first + j;
      if (i < last) {
        if (row._i !== i || row._g !== gen) fill(row, i);
        if (row.hidden) row.hidden = false;
      } else if (!row.hidden) row.hidden = true;
    }
    jump.hidden = follow;
  }
  const atBottom = () => box.scrollTop + box.clientHeight >= box.scrollHeight - ROW;
  const stopFollowing = () => {
    if (follow) {
      follow = false;
      jump.hidden = false;
    }
  };
  box.addEventListener(
    'scroll',
    () => {
      follow = atBottom();
      paint();
    },
    { passive: true },
  );
  box.addEventListener(
    'wheel',
    (e) => {
      if (e.deltaY < 0) stopFollowing();
    },
    { passive: true },
  );
  box.addEventListener('keydown', (e) => {
    if (['ArrowUp', 'PageUp', 'Home'].includes(e.key)) stopFollowing();
  });
  jump.addEventListener('click', () => {
    follow = true;
    paint();
  });
  window.addEventListener('resize', paint);
  function goTo(i: number) {
    follow = false;
    cur = i;
    gen++;
    box.scrollTop = Math.max(0, topFor(i - box.clientHeight / ROW / 2));
    paint();
  }
  let searchRun = 0;
  /** Searches every line in slices of 100,000; resolves the hit count, -1 when superseded. */
  function search(q: string): Promise<number> {
    const run = ++searchRun;
    query = q.toLowerCase();
    hits = [];
    hitSet = new Set();
    cur = -1;
    gen++;
    if (!query) {
      paint();
      return Promise.resolve(0);
    }
    const upto = n;
    return new Promise((done) => {
      let i = 0;
      const slice = () => {
        if (run !== searchRun) return done(-1);
        const end = Math.min(upto, i + 100000);
        for (; i < end; i++) {
          if (stripAnsi(texts[i]!).toLowerCase().includes(query)) {
            hits.push(i);
            hitSet.add(i);
          }
        }
        if (i < upto) {
          window.setTimeout(slice, 0);
          return;
        }
        // lines pushed while searching were checked by push(); keep the list in order
        hits.sort((a, b) => a - b);
        paint();
        done(hits.length);
      };
      slice();
    });
  }
  /** Moves to the next (1) or previous (-1) hit; returns its index among the hits, or -1. */
  function step(dir: 1 | -1) {
    if (hits.length === 0) return -1;
    let k = hits.indexOf(cur);
    k =
      k < 0
        ? dir > 0
          ? hits.findIndex((x) => x >= Math.floor(lineAt(box.scrollTop)))
          : hits.length - 1
        : (k + dir + hits.length) % hits.length;
    if (k < 0) k = 0;
    goTo(hits[k]!);
    return k;
  }
  return {
    push,
    paint,
    search,
    step,
    onCount,
    get count() {
      return n;
    },
    get hits() {
      return hits;
    },
    get following() {
      return follow;
    },
  };
}
