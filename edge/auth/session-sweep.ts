import type { Store } from '../store/store.ts';
import { SESSION_GENERATION_KEY } from './admin-token.ts';
import type { Session } from './sessions.ts';
import { randomId } from './tokens.ts';

/** Sessions looked at per batch; the edge serves requests between batches. */
const BATCH = 200;

/**
 * Removes dashboard sessions that can open nothing any more (expired, or of an older
 * generation after the admin token changed or revoke-all), in the background: in batches with a
 * yield between them, on one instance at a time (the `session-sweep` lease in the store).
 * Without it a session never shown again would stay in the store for ever.
 */
export class SessionSweep {
  #timer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<number> | null = null;
  #closed = false;
  readonly #owner = `ses_${randomId(10)}`;

  constructor(
    private readonly store: Store,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  start() {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.run(), this.intervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  async close() {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** One sweep now; resolves with the sessions removed (0 when another instance holds the lease). */
  run(): Promise<number> {
    this.#running ??= this.#sweep()
      .catch((error) => {
        console.error('session sweep failed:', error);
        return 0;
      })
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  #lease = () => this.store.tryLease('session-sweep', this.#owner, this.now(), this.intervalMs * 2);

  async #sweep(): Promise<number> {
    if (!(await this.#lease())) return 0;
    const generation = (await this.store.getMeta(SESSION_GENERATION_KEY)) ?? '';
    let removed = 0;
    let after: string | null = null;
    while (!this.#closed) {
      const page = await this.store.listMeta('session:', after, BATCH);
      if (page.length === 0) break;
      const now = this.now();
      const dead = page
        .filter(({ value }) => {
          const s = JSON.parse(value) as Session;
          return s.expires <= now || (s.gen ?? '') !== generation;
        })
        .map(({ key }) => key);
      await this.store.deleteMetas(dead);
      removed += dead.length;
      after = page[page.length - 1]!.key;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (!(await this.#lease())) break;
    }
    return removed;
  }
}
