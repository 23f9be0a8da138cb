import { join } from 'node:path';
import type { EdgeMessage, JobSpec, LogEntry } from '../../shared/protocol/index.ts';
import type { AgentBody, Send, WelcomeMessage } from '../connection/connection.ts';
import type { EdgeHttp } from '../connection/edge-http.ts';
import {
  type LogEntryBody,
  type LogFrame,
  LogStreamer,
  type LogStreamerOptions,
} from '../logs/log-streamer.ts';
import { type JobSpool, Spool } from '../logs/spool.ts';
import { fitJobError, jobFailure } from './job-failure.ts';
import { type JobContext, type JobPipeline, type JobResult, JobStop } from './job-pipeline.ts';
import { Ledger, type LedgerRecord } from './ledger.ts';

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
  logs?: Pick<
    LogStreamerOptions,
    'maxFrameEntries' | 'maxFrameBytes' | 'flushDelayMs' | 'windowBytes'
  >;
  log?: (line: string) => void;
};

/** What the agent holds for one job the edge has not confirmed yet. */
type Active = {
  spec: JobSpec;
  spool: JobSpool;
  logs: LogStreamer;
  /** Set while the job waits or runs; aborting it stops the build. */
  controller?: AbortController;
  /** The step running now, repeated to the edge after a reconnect. */
  step?: string;
  done?: Promise<void>;
};

/** Most jobs `hello` may list (the schema's bound). */
const MAX_HELLO_JOBS = 1000;

/**
 * Owns the jobs of this hive: accepts each job id once (ledger), runs accepted jobs through the
 * pipeline, numbers and spools their output, reports the outcome until the edge confirms it,
 * and after a restart picks up what the ledger and the spool say is unfinished. It talks to the
 * edge only through the `send` it is handed at welcome; it knows nothing about sockets.
 * @example
 * const jobs = await JobManager.open({ stateDir, pipeline, edgeHttp, installRoot });
 * const hello = { ..., jobs: jobs.helloJobs() };
 * // on welcome: jobs.onWelcome(welcome, send); on job/cancel/ack/done_ack: jobs.onMessage(m)
 */
export class JobManager {
  private readonly active = new Map<string, Active>();
  private readonly queue: string[] = [];
  private readonly accepting = new Map<string, Promise<unknown>>();
  private running = 0;
  private send: Send | undefined;
  private listed = new Set<string>();
  private stopping = false;
  private readonly log: (line: string) => void;
  private readonly maxConcurrent: number;
  private readonly maxLogBytes: number;

  private constructor(
    private readonly options: JobManagerOptions,
    private readonly ledger: Ledger,
    private readonly spools: Spool,
  ) {
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.maxConcurrent = options.maxConcurrentJobs ?? 1;
    this.maxLogBytes = options.maxLogBytes ?? 192 * 1024 * 1024;
  }

  /**
   * Opens the ledger and the spool and recovers: a job that was running when the agent died is
   * finished as failed (its output so far is still sent), a job accepted but never started is
   * queued again, and spool files no job needs are deleted.
   */
  static async open(options: JobManagerOptions): Promise<JobManager> {
    const ledger = await Ledger.open(join(options.stateDir, 'jobs'));
    const spools = new Spool(join(options.stateDir, 'spool'));
    await spools.init();
    const manager = new JobManager(options, ledger, spools);
    for (const record of ledger.unreported()) {
      const spool = spools.job(record.job.id);
      const { from, entries } = await spool.load();
      const active = manager.track(record.job, spool, from, entries);
      if (record.state === 'running') {
        await manager.finish(active, {
          outcome: 'failed',
          error: { message: 'agent restarted during the build' },
        });
      } else if (record.state === 'accepted') {
        manager.enqueue(active);
      }
    }
    for (const id of await spools.jobs()) {
      if (!manager.active.has(id)) await spools.job(id).delete();
    }
    return manager;
  }

  /** For `hello`: every job the edge has not confirmed, with the seq it would send next. */
  helloJobs(): { id: string; next_seq: number }[] {
    const jobs = this.ledger
      .unreported()
      .slice(0, MAX_HELLO_JOBS)
      .map((r) => ({ id: r.job.id, next_seq: this.active.get(r.job.id)?.logs.nextSeq ?? 0 }));
    this.listed = new Set(jobs.map((j) => j.id));
    return jobs;
  }

  /** A session is up: resend what the edge lacks, report finished jobs, obey cancels. */
  onWelcome(welcome: WelcomeMessage, send: Send): void {
    this.send = send;
    const known = new Map(welcome.jobs.map((j) => [j.id, j]));
    for (const [id, active] of this.active) {
      const edge = known.get(id);
      if (!edge && this.listed.has(id)) {
        // The edge has no such job (its store was reset, or the job was deleted): nobody will
        // ever read this output, so stop it and let it go.
        void this.forget(active);
        continue;
      }
      active.logs.resume(this.frameSender(), edge?.next_seq ?? active.logs.ackedSeq);
      const record = this.ledger.get(id);
      if (record?.state === 'finished') this.sendDone(record);
      else if (record?.state === 'running' && active.step) {
        this.emit({ type: 'job_state', job: id, state: 'running', step: active.step });
      }
      if (edge?.cancel) this.cancel(id);
    }
  }

  onMessage(message: Work): void {
    switch (message.type) {
      case 'job':
        void this.receive(message.job).catch((error: Error) =>
          this.log(`rbee agent: cannot accept job ${message.job.id}: ${error.message}`),
        );
        return;
      case 'cancel':
        this.cancel(message.job);
        return;
      case 'ack':
        this.active.get(message.job)?.logs.ack(message.next_seq);
        return;
      case 'done_ack':
        void this.confirm(message.job).catch((error: Error) =>
          this.log(`rbee agent: cannot record done_ack of ${message.job}: ${error.message}`),
        );
        return;
    }
  }

  /** The session is over: keep everything, send nothing, until the next welcome. */
  onDisconnect(): void {
    this.send = undefined;
    for (const active of this.active.values()) active.logs.pause();
  }

  /**
   * Stops every build without recording an outcome (the next start reports them as failed
   * by a restart), writes out every log batch and closes the spool files.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
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

  private emit(message: AgentBody): boolean {
    return this.send?.(message) ?? false;
  }

  private frameSender() {
    const send = this.send;
    return (frame: LogFrame) => send?.(frame) ?? false;
  }

  private track(spec: JobSpec, spool: JobSpool, from = 0, retained: LogEntry[] = []): Active {
    const logs = new LogStreamer({
      ...this.options.logs,
      job: spec.id,
      from,
      retained,
      persist: (batch) => spool.append(batch),
      onAcked: (next) => {
        spool
          .trim(next)
          .catch((error: Error) =>
            this.log(`rbee agent: cannot trim the spool of ${spec.id}: ${error.message}`),
          );
      },
      onError: (error) => {
        this.log(`rbee agent: cannot write the log spool of ${spec.id}: ${error.message}`);
      },
    });
    const active: Active = { spec, spool, logs };
    this.active.set(spec.id, active);
    return active;
  }

  private async receive(spec: JobSpec): Promise<void> {
    const known = this.ledger.get(spec.id);
    if (known) {
      // Answer a redelivery only once the first delivery's record is on disk.
      await this.accepting.get(spec.id);
      this.emit({ type: 'accept', job: spec.id, duplicate: true });
      const active = this.active.get(spec.id);
      const record = this.ledger.get(spec.id);
      if (active && record?.state === 'finished' && this.send) {
        active.logs.resume(this.frameSender(), active.logs.ackedSeq);
        this.sendDone(record);
      }
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
    const active = this.track(spec, this.spools.job(spec.id));
    if (this.send) active.logs.resume(this.frameSender(), 0);
    this.emit({ type: 'accept', job: spec.id, duplicate: false });
    this.enqueue(active);
  }

  private enqueue(active: Active) {
    active.controller = new AbortController();
    this.queue.push(active.spec.id);
    this.startNext();
  }

  private startNext() {
    while (!this.stopping && this.running < this.maxConcurrent && this.queue.length > 0) {
      const active = this.active.get(this.queue.shift()!);
      if (!active) continue;
      this.running++;
      active.done = this.run(active)
        .catch((error: Error) =>
          this.log(`rbee agent: job ${active.spec.id} could not be recorded: ${error.stack}`),
        )
        .finally(() => {
          this.running--;
          this.startNext();
        });
    }
  }

  private async run(active: Active): Promise<void> {
    const { spec, logs } = active;
    const controller = active.controller ?? new AbortController();
    await this.ledger.update(spec.id, { state: 'running' });
    const timer =
      spec.timeout_ms === undefined
        ? undefined
        : setTimeout(
            () =>
              controller.abort(new JobStop('timeout', `job timed out after ${spec.timeout_ms} ms`)),
            spec.timeout_ms,
          );
    const ctx: JobContext = {
      signal: controller.signal,
      edgeHttp: this.options.edgeHttp,
      workspace: join(this.options.stateDir, 'work', spec.id),
      installRoot: this.options.installRoot,
      emitLine: ({ stream, text, cut, ts }) => {
        const line: LogEntryBody = { t: ts ?? Date.now(), k: stream, x: text };
        if (cut) line.c = 1;
        const wait = logs.append(line);
        if (logs.producedBytes > this.maxLogBytes && !controller.signal.aborted) {
          // Fail loudly rather than cut the log short; the lines already produced are kept.
          controller.abort(
            new JobStop('log-too-large', `the job's log passed ${this.maxLogBytes} bytes`),
          );
        }
        return wait;
      },
      emitStep: ({ step, phase, ok, note, ts }) => {
        const name = step.slice(0, 64) || 'step';
        if (phase === 'start') {
          active.step = name;
          this.emit({ type: 'job_state', job: spec.id, state: 'running', step: name });
        }
        return logs.append({
          t: ts ?? Date.now(),
          k: 'step',
          step: name,
          phase,
          ...(ok !== undefined ? { ok } : {}),
          ...(note !== undefined ? { note: note.slice(0, 4096) } : {}),
        });
      },
    };
    let result: JobResult;
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      result = await this.options.pipeline(spec, ctx);
      // A stop that came too late to interrupt anything does not change a finished result.
    } catch (error) {
      result = jobFailure(error, controller.signal);
    } finally {
      clearTimeout(timer);
    }
    active.controller = undefined;
    const stop = controller.signal.reason;
    if (stop instanceof JobStop && (stop.why === 'agent-stopping' || stop.why === 'forgotten')) {
      return;
    }
    await this.finish(active, result);
  }

  /** Records the outcome once every entry is in the spool, then reports it. */
  private async finish(active: Active, result: JobResult): Promise<void> {
    await active.logs.flush();
    const record = await this.ledger.update(active.spec.id, {
      state: 'finished',
      outcome: result.outcome,
      total: active.logs.nextSeq,
      ...(result.error ? { error: fitJobError(result.error) } : {}),
    });
    this.sendDone(record);
  }

  private sendDone(record: LedgerRecord) {
    this.emit({
      type: 'job_done',
      job: record.job.id,
      outcome: record.outcome!,
      total: record.total!,
      ...(record.error ? { error: record.error } : {}),
    });
  }

  private cancel(id: string) {
    const active = this.active.get(id);
    if (!active?.controller) return; // unknown or finished: nothing to stop
    const queued = this.queue.indexOf(id);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      active.controller = undefined;
      active.done = this.ledger.update(id, { state: 'running' }).then(() =>
        this.finish(active, {
          outcome: 'cancelled',
          error: { message: 'cancelled before it started' },
        }),
      );
      return;
    }
    active.controller.abort(new JobStop('cancel', 'cancelled by the edge'));
  }

  /** The edge has every entry and the outcome: the record stays, the spool goes. */
  private async confirm(id: string): Promise<void> {
    const active = this.active.get(id);
    if (this.ledger.get(id)?.state !== 'finished' || !active) return;
    this.active.delete(id);
    active.logs.close();
    await this.ledger.update(id, { state: 'reported' });
    await active.spool.delete();
  }

  /** Lets go of a job the edge does not know: stops it, marks it reported, deletes its log. */
  private async forget(active: Active): Promise<void> {
    const id = active.spec.id;
    this.log(`rbee agent: the edge does not know job ${id}; dropping its log`);
    this.active.delete(id);
    const queued = this.queue.indexOf(id);
    if (queued !== -1) this.queue.splice(queued, 1);
    active.controller?.abort(new JobStop('forgotten', 'the edge does not know this job'));
    await active.done;
    await active.logs.flush(); // nothing may reach the spool after it is deleted
    active.logs.close();
    await this.ledger.update(id, { state: 'reported' });
    await active.spool.delete();
  }
}
