export type BackoffOptions = {
  /** First ceiling, in ms (default 500). */
  baseMs?: number;
  /** Largest delay, in ms (default 30 000). */
  capMs?: number;
  /** A source of numbers in [0, 1); tests pass their own. */
  random?: () => number;
};

export const backoffDefaults = { baseMs: 500, capMs: 30_000 } as const;

/** Delays for successive reconnect attempts; `reset` after a connection that worked. */
export type Backoff = {
  /** The delay before the next attempt, in ms; counts the attempt. */
  next(): number;
  /** Start again from the first attempt. */
  reset(): void;
  /** Attempts counted since the last reset. */
  readonly attempt: number;
};

/**
 * Full-jitter exponential backoff: `random(0, min(cap, base·2^attempt))`. The jitter keeps a
 * fleet of agents that lost the edge together from coming back in the same second.
 * @example
 * const backoff = createBackoff({ capMs: 10_000 });
 * await sleep(backoff.next()); // 0–500 ms, then 0–1 s, 0–2 s, … never above 10 s
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const baseMs = options.baseMs ?? backoffDefaults.baseMs;
  const capMs = options.capMs ?? backoffDefaults.capMs;
  const random = options.random ?? Math.random;
  if (!(baseMs > 0) || !(capMs >= baseMs)) {
    throw new RangeError(`backoff needs 0 < base (${baseMs}) <= cap (${capMs})`);
  }
  let attempt = 0;
  return {
    next() {
      // 2^attempt overflows to Infinity long after it passed the cap; min() still holds.
      const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
      attempt++;
      return Math.floor(random() * ceiling);
    },
    reset() {
      attempt = 0;
    },
    get attempt() {
      return attempt;
    },
  };
}
