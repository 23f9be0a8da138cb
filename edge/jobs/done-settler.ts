import type { JobError, JobOutcome } from '../../shared/protocol/job.ts';
import type { LogPosition } from '../logs/log-ingest.ts';
import type { LogHead, Store } from '../store/store.ts';
import type { JobService } from './job-service.ts';

/** An agent's `job_done`, without its envelope. */
export type JobDone = { outcome: JobOutcome; total: number; error?: JobError };

/**
 * "job_done waits for its logs": an agent's final word is applied only once the stored log
 * holds every entry it announced (`total`), so a dashboard that sees the job end has seen its
 * whole log. A job_done that comes before its last entries is kept (`pending_done` in the
 * store, and here), and settled when the connection's log writer has stored them. One per
 * connection: a job still waiting when the socket closes is settled by the agent's job_done
 * after it reconnects.
 * @example
 * const settler = new DoneSettler(jobs, store, (id) => ingest.position(id), doneAck);
 * await settler.done(id, { outcome: 'succeeded', total: 100 }); // done_ack once 100 entries are stored
 */
export class DoneSettler {
  /** Jobs whose job_done came before all their log entries. */
  readonly #awaitingLogs = new Set<string>();

  constructor(
    private readonly jobs: JobService,
    private readonly store: Store,
    /** Where the job's log stands on this connection, if a log frame of it came here. */
    private readonly position: (job: string) => LogPosition | undefined,
    /** Tells the agent the job is final (it may forget it). */
    private readonly doneAck: (job: string) => void,
  ) {}

  /** The agent finished `id`: final now, or once the rest of its log is stored. */
  async done(id: string, done: JobDone): Promise<void> {
    const head = this.position(id)?.stored ?? (await this.store.logHead(id));
    if (await this.jobs.onDone(id, done, head)) return this.doneAck(id);
    this.#awaitingLogs.add(id);
    // The writer may have stored the last entries while onDone ran: settle now if it is idle.
    const now = this.position(id);
    if (now && !now.writing) await this.logStored(id, now.stored);
  }

  /** The connection's writer stored the job's log up to `head`: finish it if it was waiting. */
  async logStored(id: string, head: LogHead): Promise<void> {
    if (this.#awaitingLogs.has(id) && (await this.jobs.settle(id, head))) {
      this.#awaitingLogs.delete(id);
      this.doneAck(id);
    }
  }
}
