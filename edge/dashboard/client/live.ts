/** What the push stream says changed (edge/dashboard/live-feed.ts). */
export type Topic = 'hives' | 'jobs' | 'rollouts';
type Change = { topics: Topic[]; via: 'bus' | 'poll' };

/** What the page heard, for tests: each refresh and why it ran, each change, each `ready`. */
type LiveLog = { refreshes: { why: string; at: number }[]; changes: Change[]; ready: number };
declare global {
  interface Window {
    __rbeeLive?: LiveLog;
  }
}

/** The slow read a page falls back to when the push stream is gone for good. */
const FALLBACK_MS = 10_000;

type Subscriber = { topics: Topic[]; run: (why: string) => void };
const subscribers: Subscriber[] = [];
let stream: EventSource | null = null;

/** One stream per page, however many parts of it listen (browsers allow few per origin). */
function open(log: LiveLog) {
  if (stream) return;
  const es = new EventSource('/dashboard/events');
  stream = es;
  es.addEventListener('ready', () => {
    log.ready++;
    for (const s of subscribers) s.run('ready');
  });
  es.addEventListener('change', (ev) => {
    const change = JSON.parse((ev as MessageEvent<string>).data) as Change;
    log.changes.push(change);
    for (const s of subscribers) {
      if (change.topics.some((t) => s.topics.includes(t))) s.run(`push:${change.via}`);
    }
  });
  es.addEventListener('error', () => {
    if (es.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    const poll = () => {
      for (const s of subscribers) s.run('poll');
      window.setTimeout(poll, FALLBACK_MS);
    };
    poll();
  });
}

/**
 * Runs `refresh` when the page's push stream opens (`GET /dashboard/events`) and again
 * whenever the edge pushes a change to one of `topics`, never two at once: a change during
 * a refresh runs one more after it. Every `ready` (first open and each reconnect) refreshes,
 * so nothing that changed while the stream was down is missed. No stream: a slow poll.
 */
export function live(topics: Topic[], refresh: () => Promise<void>, onError?: (e: Error) => void) {
  window.__rbeeLive ??= { refreshes: [], changes: [], ready: 0 };
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
  subscribers.push({ topics, run: (why) => void run(why) });
  open(log);
  return { refresh: () => run('filter') };
}
