/**
 * The key of a wake-up about the fleet rather than one job (a hive came or went, an API
 * change): it travels like a job's wake-up; the dashboard's live feed re-reads on it.
 */
export const FLEET_WAKE = 'fleet';

/**
 * Wakes readers of a job's log when something new is stored for it (entries or a state change).
 * It carries no data: readers always read the durable log, so a missed wake-up loses nothing.
 */
export class LogBus {
  readonly #listeners = new Map<string, Set<() => void>>();
  /** Listeners of every wake-up, whatever it is for (the dashboard's live feed). */
  readonly #any = new Set<(key: string) => void>();

  /** Hears every wake-up, local or from another instance, with the key it was for. */
  subscribeAll(listener: (key: string) => void): () => void {
    this.#any.add(listener);
    return () => {
      this.#any.delete(listener);
    };
  }

  subscribe(job: string, listener: () => void): () => void {
    let set = this.#listeners.get(job);
    if (!set) {
      set = new Set();
      this.#listeners.set(job, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(job);
    };
  }

  publish(job: string): void {
    this.#deliver(job);
  }

  /**
   * Wakes the readers of this instance only, never the other instances (a hive's session here
   * changed: the others hear of it from their own presence messages).
   */
  wakeLocal(key: string): void {
    this.#deliver(key);
  }

  #deliver(key: string): void {
    const set = this.#listeners.get(key);
    if (set) for (const listener of [...set]) listener();
    for (const listener of [...this.#any]) listener(key);
  }

  /** Resolves on the next publish for the job, or when the signal aborts. */
  next(job: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        off();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const off = this.subscribe(job, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
