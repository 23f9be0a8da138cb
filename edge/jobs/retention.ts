import { terminalStates } from '../../shared/protocol/job.ts';
import { randomId } from '../auth/tokens.ts';
import type { EdgeOptions } from '../options.ts';
import type { JobRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

export type RetentionOptions = Pick<
  EdgeOptions,
  'jobRetentionMs' | 'logRetentionMs' | 'retentionIntervalMs' | 'retentionBatch'
>;

/** Where log pruning got to: jobs before this id have had their logs removed. */
const LOG_CURSOR = 'retention:log_cursor';

/** Did the job end before `cutoff`? (Only ended jobs are pruned, however old.) */
const endedBefore = (job: JobRecord, cutoff: number) =>
  terminalStates.has(job.state) && job.ended_at !== null && job.ended_at < cutoff;

/** What one pass removed: jobs, logs of jobs that stay, and finished webhook deliveries. */
export type RetentionPass = { jobs: number; logs: number; deliveries: number };

/**
 * Prunes old history in the background: jobs that ended more than `jobRetentionMs` ago (with
 * their logs), and the logs of jobs that ended more than `logRetentionMs` ago. Work goes in
 * batches of `retentionBatch` with a yield to the event loop between them, so the API keeps
 * answering; one instance at a time does it, holding the `retention` lease in the store.
 */
export class Retention {
  #timer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<RetentionPass> | null = null;
  #closed = false;
  readonly #owner = `ret_${randomId(10)}`;

  constructor(
    private readonly store: Store,
    private readonly options: RetentionOptions,
    private readonly now: () => number,
  ) {}

  get enabled() {
    return this.options.jobRetentionMs !== null || this.options.logRetentionMs !== null;
  }

  start() {
    if (!this.enabled || this.#timer) return;
    this.#timer = setInterval(() => void this.run(), this.options.retentionIntervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  async close() {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }

  /** One pass now (a pass under way is joined, not stacked). */
  run(): Promise<RetentionPass> {
    this.#running ??= this.#pass()
      .catch((error) => {
        console.error('retention failed:', error);
        return { jobs: 0, logs: 0, deliveries: 0 };
      })
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  /** Holds the lease for a while longer; false when another instance has it. */
  #lease = () =>
    this.store.tryLease('retention', this.#owner, this.now(), this.options.retentionIntervalMs * 2);

  async #pass(): Promise<RetentionPass> {
    const done = { jobs: 0, logs: 0, deliveries: 0 };
    if (!(await this.#lease())) return done;
    const { jobRetentionMs: jobs, logRetentionMs: logs, retentionBatch: batch } = this.options;
    if (jobs !== null) {
      const cutoff = this.now() - jobs;
      let after: string | null = null;
      while (!this.#closed) {
        const page = await this.store.listJobsCreatedBefore(cutoff, after, batch);
        if (page.length === 0) break;
        const gone = page.filter((j) => endedBefore(j, cutoff));
        await this.store.deleteEndedJobs(gone);
        done.jobs += gone.length;
        after = page[page.length - 1]!.id;
        if (!(await this.#yield())) return done;
      }
      // Webhook deliveries that ended before the same cutoff go too.
      for (const hook of await this.store.listWebhooks()) {
        for (;;) {
          const n = await this.store.pruneDeliveries(hook.id, cutoff, batch);
          done.deliveries += n;
          if (n < batch || !(await this.#yield())) break;
        }
      }
    }
    if (logs !== null) {
      const cutoff = this.now() - logs;
      // The cursor moves over jobs whose logs are gone for good; an open job holds it back
      // (it is looked at again next time), the ended ones after it are pruned anyway.
      let after = await this.store.getMeta(LOG_CURSOR);
      let cursor = after;
      let held = false;
      while (!this.#closed) {
        const page = await this.store.listJobsCreatedBefore(cutoff, after, batch);
        if (page.length === 0) break;
        const prune: string[] = [];
        for (const job of page) {
          if (endedBefore(job, cutoff)) {
            prune.push(job.id);
            if (!held) cursor = job.id;
          } else held = true;
        }
        done.logs += await this.store.deleteLogs(prune);
        if (cursor !== null) await this.store.setMeta(LOG_CURSOR, cursor);
        after = page[page.length - 1]!.id;
        if (!(await this.#yield())) return done;
      }
    }
    return done;
  }

  /** Lets the event loop serve requests between batches, and renews the lease. */
  async #yield(): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    return !this.#closed && (await this.#lease());
  }
}
