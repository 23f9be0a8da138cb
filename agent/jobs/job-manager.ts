import { join } from 'node:path';
import type { EdgeMessage, JobSpec, LogEntry } from '../../shared/protocol/index.ts';
import type { Send, WelcomeMessage } from '../connection/connection.ts';
import type { EdgeHttp } from '../connection/edge-http.ts';
import { Spool } from '../logs/spool.ts';
import { type ActiveJob, type JobLogOptions, trackJob } from './active-job.ts';
import { fitJobError } from './job-failure.ts';
import {
  type JobPipeline,
  type JobResult,
  JobStop,
  type ResumeContext,
  type ResumeJob,
} from './job-pipeline.ts';
import { runJob } from './job-runner.ts';
import { Ledger, type LedgerOptions } from './ledger.ts';
import { Reconnect } from './reconnect.ts';
import { Scheduler } from './scheduler.ts';

type Work = Extract<EdgeMessage, { type: 'job' | 'cancel' | 'ack' | 'done_ack' }>;

export type JobManagerOptions = {
  /** The agent's state folder: `jobs/` (ledger), `spool/`, `work/`. */
  stateDir: string;
  pipeline: JobPipeline;
  edgeHttp: EdgeHttp;
  installRoot: string;
  /** Jobs that build at the same time; the rest wait in order (default 1). */
  maxConcurrentJobs?: number;
  /**
   * Log bytes (as JSON) one job may produce before it is stopped as failed (default 192 MiB).
   * Below the edge's per-job cap on purpose: a log the edge refuses would be resent forever.
   */
  maxLogBytes?: number;
  /** Frame, batch and window sizes of each job's log. */
  logs?: JobLogOptions;
  /** Finishes a job that was running when the agent stopped, when it knows how (upgrades). */
  resume?: ResumeJob;
  /** Ledger retention and its change observer. */
  ledger?: Pick<LedgerOptions, 'retainReportedMs' | 'onChange'>;
  log?: (line: string) => void;
};

/**
 * Owns the jobs of this hive: accepts each job id once (ledger), queues accepted jobs
 * (`Scheduler`), runs each through the pipeline (`runJob`), records and reports the outcome,
 * and hands everything about sessions (hello, welcome, ack, done_ack) to `Reconnect`. After a
 * restart it picks up what the ledger and the spool say is unfinished. It talks to the edge
 * only through the `send` it is handed at welcome; it knows nothing about sockets.
 * @example
 * const jobs = await JobManager.open({ stateDir, pipeline, edgeHttp, installRoot });
 * const hello = { ..., jobs: jobs.helloJobs() };
 * // on welcome: jobs.onWelcome(welcome, send); on job/cancel/ack/done_ack: jobs.onMessage(m)
 */
export class JobManager {
  private readonly active = new Map<string, ActiveJob>();
  private readonly accepting = new Map<string, Promise<unknown>>();
  private stopping = false;
  private readonly log: (line: string) => void;
  private readonly scheduler: Scheduler;
  private readonly reconnect: Reconnect;

  private constructor(
    private readonly options: JobManagerOptions,
    private readonly ledger: Ledger,
    private readonly spools: Spool,
  ) {
    const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.log = log;
    this.scheduler = new Scheduler({
      ...(options.maxConcurrentJobs ? { maxConcurrent: options.maxConcurrentJobs } : {}),
      run: (job) => this.run(job),
      // Straight from accepted to finished: the job never ran.
      cancelQueued: (job) =>
        this.finish(job, {
          outcome: 'cancelled',
          error: { message: 'cancelled before it started' },
        }),
      log,
    });
    this.reconnect = new Reconnect({
      ledger,
      active: this.active,
      cancel: (job) => this.scheduler.cancel(job, new JobStop('cancel', 'cancelled by the edge')),
      dequeue: (job) => this.scheduler.dequeue(job),
      log,
    });
  }

  /**
   * Opens the ledger and the spool and recovers: a job that was running when the agent died is
   * finished as failed (its output so far is still sent), a job accepted but never started is
   * queued again, and spool files no job needs are deleted.
   */
  static async open(options: JobManagerOptions): Promise<JobManager> {
    const ledger = await Ledger.open(join(options.stateDir, 'jobs'), options.ledger);
    const say = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
    const spools = new Spool(join(options.stateDir, 'spool'), {
      // Loud, not silent: on a full disk the build's output waits until the spool can write.
      onFull: (dir, waiting, error) =>
        say(
          waiting
            ? `rbee agent: log spool ${dir} is full (${(error as NodeJS.ErrnoException).code}): the build's output waits for space`
            : `rbee agent: log spool ${dir} has space again`,
        ),
    });
    await spools.init();
    const manager = new JobManager(options, ledger, spools);
    for (const record of ledger.unreported()) {
      const spool = spools.job(record.job.id);
      const { from, entries } = await spool.load();
      const active = manager.track(record.job, spool, from, entries);
      const resumed =
        record.state === 'running'
          ? options.resume?.(record.job, manager.resumeContext(active))
          : null;
      if (resumed) {
        void resumed
          .then((result) => manager.finish(active, result))
          .catch((error: Error) =>
            manager.log(`rbee agent: cannot finish job ${record.job.id}: ${error.message}`),
          );
      } else if (record.state === 'running') {
        await manager.finish(active, {
          outcome: 'failed',
          error: { message: 'agent restarted during the build' },
        });
      } else if (record.state === 'accepted') {
        manager.scheduler.enqueue(active);
      }
    }
    for (const id of await spools.jobs()) {
      if (!manager.active.has(id)) await spools.job(id).delete();
    }
    return manager;
  }

  /** For `hello`: every job the edge has not confirmed, with the seq it would send next. */
  helloJobs(): { id: string; next_seq: number }[] {
    return this.reconnect.helloJobs();
  }

  /** A session is up: see `Reconnect.onWelcome`. */
  onWelcome(welcome: WelcomeMessage, send: Send): void {
    this.reconnect.onWelcome(welcome, send);
  }

  onMessage(message: Work): void {
    switch (message.type) {
      case 'job':
        void this.receive(message.job).catch((error: Error) =>
          this.log(`rbee agent: cannot accept job ${message.job.id}: ${error.message}`),
        );
        return;
      case 'cancel': {
        const active = this.active.get(message.job);
        if (active) this.scheduler.cancel(active, new JobStop('cancel', 'cancelled by the edge'));
        return;
      }
      case 'ack':
        this.reconnect.onAck(message.job, message.next_seq);
        return;
      case 'done_ack':
        void this.reconnect
          .onDoneAck(message.job)
          .catch((error: Error) =>
            this.log(`rbee agent: cannot record done_ack of ${message.job}: ${error.message}`),
          );
        return;
    }
  }

  /** The session is over: keep everything, send nothing, until the next welcome. */
  onDisconnect(): void {
    this.reconnect.onDisconnect();
  }

  /**
   * Stops every build without recording an outcome (the next start reports them as failed
   * by a restart), writes out every log batch and closes the spool files.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.scheduler.stop();
    for (const active of this.active.values()) {
      active.controller?.abort(new JobStop('agent-stopping', 'agent stopped during the build'));
    }
    await Promise.all([...this.active.values()].map((a) => a.done));
    for (const active of this.active.values()) {
      await active.logs.flush();
      active.logs.close();
      await active.spool.close();
    }
  }

  private track(
    spec: JobSpec,
    spool = this.spools.job(spec.id),
    from = 0,
    retained: LogEntry[] = [],
  ): ActiveJob {
    const active = trackJob(spec, spool, {
      ...(this.options.logs ? { logs: this.options.logs } : {}),
      from,
      retained,
      log: this.log,
    });
    this.active.set(spec.id, active);
    return active;
  }

  private async receive(spec: JobSpec): Promise<void> {
    if (this.ledger.get(spec.id)) {
      // Answer a redelivery only once the first delivery's record is on disk.
      await this.accepting.get(spec.id);
      this.reconnect.emit({ type: 'accept', job: spec.id, duplicate: true });
      this.reconnect.redelivered(spec.id);
      return;
    }
    if (this.stopping) return;
    const accepting = this.ledger.accept(spec);
    this.accepting.set(spec.id, accepting);
    try {
      await accepting;
    } finally {
      this.accepting.delete(spec.id);
    }
    const active = this.track(spec);
    this.reconnect.attach(active);
    this.reconnect.emit({ type: 'accept', job: spec.id, duplicate: false });
    this.scheduler.enqueue(active);
  }

  private async run(active: ActiveJob): Promise<void> {
    const result = await runJob(active, {
      ledger: this.ledger,
      pipeline: this.options.pipeline,
      edgeHttp: this.options.edgeHttp,
      stateDir: this.options.stateDir,
      installRoot: this.options.installRoot,
      maxLogBytes: this.options.maxLogBytes ?? 192 * 1024 * 1024,
      reportStep: (id, step) => this.reconnect.reportStep(id, step),
    });
    if (result) await this.finish(active, result);
  }

  /** Log lines and steps of a job resumed after a restart, outside any pipeline run. */
  private resumeContext(active: ActiveJob): ResumeContext {
    return {
      emitLine: ({ stream, text, ts }) =>
        active.logs.append({ t: ts ?? Date.now(), k: stream, x: text }),
      emitStep: ({ step, phase, ok, note, ts }) =>
        active.logs.append({
          t: ts ?? Date.now(),
          k: 'step',
          step: step.slice(0, 64),
          phase,
          ...(ok !== undefined ? { ok } : {}),
          ...(note !== undefined ? { note: note.slice(0, 4096) } : {}),
        }),
    };
  }

  /** Records the outcome once every entry is in the spool, then reports it. */
  private async finish(active: ActiveJob, result: JobResult): Promise<void> {
    await active.logs.flush();
    const record = await this.ledger.update(active.spec.id, {
      state: 'finished',
      outcome: result.outcome,
      total: active.logs.nextSeq,
      ...(result.error ? { error: fitJobError(result.error) } : {}),
    });
    this.reconnect.reportDone(record);
  }
}
