/**
 * Per-key (per client IP) limit on failed attempts: more than `maxPerMinute` failures in the
 * last minute and the key is refused until the oldest one is a minute old. Only failures count,
 * so a fleet of agents with good tokens behind one NAT address is never slowed.
 * @example if (limiter.retryAfterS(ip)) return 429; ...; if (bad) limiter.fail(ip);
 */
export class FailureLimit {
  readonly #fails = new Map<string, number[]>();

  constructor(
    readonly maxPerMinute: number,
    private readonly now: () => number = Date.now,
    /** Keys remembered at most; the least recently failing is forgotten first. */
    private readonly maxKeys = 10_000,
  ) {}

  #recent(key: string): number[] {
    const now = this.now();
    const times = (this.#fails.get(key) ?? []).filter((t) => now - t < 60_000);
    if (times.length === 0) this.#fails.delete(key);
    return times;
  }

  /** Seconds until `key` may try again; 0 when it may now. */
  retryAfterS(key: string): number {
    const times = this.#recent(key);
    if (times.length < this.maxPerMinute) return 0;
    return Math.max(1, Math.ceil((times[0]! + 60_000 - this.now()) / 1000));
  }

  fail(key: string): void {
    const times = this.#recent(key);
    times.push(this.now());
    this.#fails.delete(key);
    this.#fails.set(key, times);
    if (this.#fails.size > this.maxKeys) this.#fails.delete(this.#fails.keys().next().value!);
  }
}
