/** What the push stream says changed (edge/dashboard/live-feed.ts). */
export type Topic = 'hives' | 'jobs' | 'rollouts';
type Change = { topics: Topic[]; via: 'bus' | 'poll' };

/** What the page heard, for tests: each refresh and why it ran. */
type LiveLog = { refreshes: { why: string; at: number }[]; changes: Change[] };
declare global {
  interface Window {
    __rbeeLive?: LiveLog;
  }
}

/** The slow read a page falls back to when the push stream is gone for good. */
const FALLBACK_MS = 10_000;

/**
 * Runs `refresh` when the page opens and again whenever the edge pushes a change to one of
 * `topics` (`GET /dashboard/events`), never two at once: a change during a refresh runs one
 * more after it. The stream's `ready` (first open and every reconnect) refreshes too, so
 * nothing that changed while it was down is missed. No stream: a slow poll.
 */
export function live(topics: Topic[], refresh: () => Promise<void>, onError?: (e: Error) => void) {
  window.__rbeeLive ??= { refreshes: [], changes: [] };
  const log = window.__rbeeLive;
  let running = false;
  let again: string | null = null;
  const run = async (why: string) => {
    if (running) {
      again = why;
      return;
    }
    running = true;
    log.refreshes.push({ why, at: Date.now() });
    try {
      await refresh();
    } catch (e) {
      onError?.(e as Error);
    } finally {
      running = false;
      if (again) {
        const next = again;
        again = null;
        void run(next);
      }
    }
  };
  const es = new EventSource('/dashboard/events');
  es.addEventListener('ready', () => void run('ready'));
  es.addEventListener('change', (ev) => {
    const change = JSON.parse((ev as MessageEvent<string>).data) as Change;
    log.changes.push(change);
    if (change.topics.some((t) => topics.includes(t))) void run(`push:${change.via}`);
  });
  es.addEventListener('error', () => {
    if (es.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    const poll = () => void run('poll').finally(() => window.setTimeout(poll, FALLBACK_MS));
    poll();
  });
  return { refresh: () => run('filter') };
}
