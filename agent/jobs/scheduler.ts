import type { ActiveJob } from './active-job.ts';

export type SchedulerOptions = {
  /** Jobs that run at the same time; the rest wait in order (default 1). */
  maxConcurrent?: number;
  /** Runs one job to its end; its promise settles when the job's slot is free again. */
  run: (job: ActiveJob) => Promise<void>;
  /** A job cancelled while it waited: it never starts, and this records its outcome. */
  cancelQueued: (job: ActiveJob) => Promise<void>;
  log: (line: string) => void;
};

/**
 * The queue of accepted jobs and the limit on how many run at once. It starts jobs in the
 * order they were queued, and routes a cancel to the waiting job (which never starts) or to the
 * running one (whose signal is aborted). It knows nothing about the ledger or the edge.
 * @example
 * const scheduler = new Scheduler({ maxConcurrent: 2, run, cancelQueued, log });
 * scheduler.enqueue(job);
 */
export class Scheduler {
  private readonly queue: ActiveJob[] = [];
  private running = 0;
  private stopping = false;
  private readonly maxConcurrent: number;

  constructor(private readonly options: SchedulerOptions) {
    this.maxConcurrent = options.maxConcurrent ?? 1;
  }

  /** Queues a job and starts it when a slot is free. */
  enqueue(job: ActiveJob): void {
    job.controller = new AbortController();
    this.queue.push(job);
    this.startNext();
  }

  /** Stops a job: a waiting one ends before it starts, a running one is aborted. */
  cancel(job: ActiveJob, reason: Error): void {
    if (!job.controller) return; // finished: nothing to stop
    if (this.dequeue(job)) {
      job.controller = undefined;
      job.done = this.options.cancelQueued(job);
      return;
    }
    job.controller.abort(reason);
  }

  /** Takes a job out of the queue without running it; false when it was not waiting. */
  dequeue(job: ActiveJob): boolean {
    const at = this.queue.indexOf(job);
    if (at === -1) return false;
    this.queue.splice(at, 1);
    return true;
  }

  /** Starts nothing more and forgets what waits; running jobs are the caller's to abort. */
  stop(): void {
    this.stopping = true;
    this.queue.length = 0;
  }

  private startNext() {
    while (!this.stopping && this.running < this.maxConcurrent && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      job.done = this.options
        .run(job)
        .catch((error: Error) =>
          this.options.log(`rbee agent: job ${job.spec.id} could not be recorded: ${error.stack}`),
        )
        .finally(() => {
          this.running--;
          this.startNext();
        });
    }
  }
}
