import type { LogBus } from '../logs/log-bus.ts';

/** What the dashboard's pages show, each read as one comparable string. */
export type FeedTopic = 'hives' | 'jobs' | 'rollouts';
export const FEED_TOPICS: readonly FeedTopic[] = ['hives', 'jobs', 'rollouts'];

/** A change a page should re-read for, and whether a bus wake-up or the slow poll found it. */
export type FeedChange = { topics: FeedTopic[]; via: 'bus' | 'poll' };

export type FeedOptions = {
  /** The store is re-read this often when the bus is silent (a lost wake-up only delays). */
  pollMs: number;
  /**
   * Reads start at least this far apart: the first wake-up after a quiet spell reads at once,
   * the ones that follow within it share the next read (a build's log wakes many times a second).
   */
  throttleMs?: number;
};

/**
 * One edge instance's live feed for its dashboards: every wake-up of the bus (job changes,
 * log batches, hives coming and going, from this instance or another), throttled, and a slow
 * poll, lead to one read of the store; the topics whose reading changed go to every listener.
 * It runs only while someone listens. One read serves all the open pages of this instance.
 * @example const off = feed.listen((c) => stream.writeSSE({ event: 'change', data: JSON.stringify(c) }));
 */
export class LiveFeed {
  readonly #listeners = new Set<(change: FeedChange) => void>();
  #last: Record<FeedTopic, string> | null = null;
  #offBus: (() => void) | null = null;
  #poll: ReturnType<typeof setInterval> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #reading = false;
  /** A read is due: by a wake-up ('bus') or the poll; 'bus' wins when both asked. */
  #due: FeedChange['via'] | null = null;
  /** Reads made, for tests and the benchmark. */
  reads = 0;

  constructor(
    private readonly bus: LogBus,
    private readonly read: () => Promise<Record<FeedTopic, string>>,
    private readonly options: FeedOptions,
  ) {}

  /**
   * Adds a listener; resolves once the feed holds a first reading, so that a page which
   * loads its data after this sees every later change.
   */
  async listen(listener: (change: FeedChange) => void): Promise<() => void> {
    this.#listeners.add(listener);
    if (!this.#offBus) {
      this.#offBus = this.bus.subscribeAll(() => this.#ask('bus'));
      this.#poll = setInterval(() => this.#ask('poll'), this.options.pollMs);
      (this.#poll as { unref?: () => void }).unref?.();
    }
    if (!this.#last) this.#last = await this.read().catch(() => null);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0) return;
      this.#offBus?.();
      this.#offBus = null;
      if (this.#poll) clearInterval(this.#poll);
      if (this.#timer) clearTimeout(this.#timer);
      this.#poll = this.#timer = null;
      this.#due = null;
      this.#last = null;
    };
  }

  /** When the last read started: a wake-up after a quiet spell reads at once. */
  #lastRead = 0;

  #ask(via: FeedChange['via']) {
    this.#due = this.#due === 'bus' ? 'bus' : via;
    if (this.#timer || this.#reading) return;
    const wait = Math.max(0, this.#lastRead + (this.options.throttleMs ?? 150) - Date.now());
    this.#timer = setTimeout(() => void this.#run(), wait);
  }

  async #run() {
    this.#timer = null;
    this.#lastRead = Date.now();
    const via = this.#due;
    if (!via || this.#listeners.size === 0) return;
    this.#due = null;
    this.#reading = true;
    try {
      this.reads++;
      const now = await this.read();
      const before = this.#last;
      this.#last = now;
      const topics = FEED_TOPICS.filter((t) => !before || before[t] !== now[t]);
      if (topics.length > 0) for (const l of [...this.#listeners]) l({ topics, via });
    } catch {
      // The store is unreachable: the next wake-up or poll reads again.
    } finally {
      this.#reading = false;
      if (this.#due) this.#ask(this.#due);
    }
  }
}
