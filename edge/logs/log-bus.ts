/**
 * Wakes readers of a job's log when something new is stored for it (entries or a state change).
 * It carries no data: readers always read the durable log, so a missed wake-up loses nothing.
 */
export class LogBus {
  readonly #listeners = new Map<string, Set<() => void>>();

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
    const set = this.#listeners.get(job);
    if (set) for (const listener of [...set]) listener();
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
