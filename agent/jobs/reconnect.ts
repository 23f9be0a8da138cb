import type { AgentBody, Send, WelcomeMessage } from '../connection/connection.ts';
import type { LogFrame } from '../logs/log-streamer.ts';
import type { ActiveJob } from './active-job.ts';
import { JobStop } from './job-pipeline.ts';
import type { Ledger, LedgerRecord } from './ledger.ts';

/** Most jobs `hello` may list (the schema's bound). */
const MAX_HELLO_JOBS = 1000;

export type ReconnectOptions = {
  ledger: Ledger;
  /** Every job the edge has not confirmed, by id (shared with the job manager). */
  active: Map<string, ActiveJob>;
  /** Cancels a job the edge says to cancel (waiting or running). */
  cancel: (job: ActiveJob) => void;
  /** Takes a job out of the queue; false when it was not waiting. */
  dequeue: (job: ActiveJob) => boolean;
  log: (line: string) => void;
};

/**
 * What the agent does across sessions, in one place. `hello` lists every job the edge has not
 * confirmed with the seq the agent would send next; on `welcome` each job's log is resent from
 * the edge's stored seq, a finished job's outcome is reported again, a running job's step is
 * repeated, a cancel the edge holds is obeyed, and a job the edge does not know is let go with
 * its log. `ack` lets the spool forget what the edge stored; `done_ack` ends a job here (the
 * ledger record stays as `reported`, the spool goes). Between sessions nothing is sent and
 * everything is kept.
 * @example
 * const reconnect = new Reconnect({ ledger, active, cancel, dequeue, log });
 * const hello = { ..., jobs: reconnect.helloJobs() };
 * reconnect.onWelcome(welcome, send);
 */
export class Reconnect {
  private send: Send | undefined;
  private listed = new Set<string>();

  constructor(private readonly options: ReconnectOptions) {}

  /** Sends a message if a session is up; false when none is (the caller keeps its data). */
  emit(message: AgentBody): boolean {
    return this.send?.(message) ?? false;
  }

  /** For `hello`: every job the edge has not confirmed, with the seq it would send next. */
  helloJobs(): { id: string; next_seq: number }[] {
    const { ledger, active } = this.options;
    const jobs = ledger
      .unreported()
      .slice(0, MAX_HELLO_JOBS)
      .map((r) => ({ id: r.job.id, next_seq: active.get(r.job.id)?.logs.nextSeq ?? 0 }));
    this.listed = new Set(jobs.map((j) => j.id));
    return jobs;
  }

  /** A session is up: resend what the edge lacks, report finished jobs, obey cancels. */
  onWelcome(welcome: WelcomeMessage, send: Send): void {
    this.send = send;
    const known = new Map(welcome.jobs.map((j) => [j.id, j]));
    for (const [id, active] of this.options.active) {
      const edge = known.get(id);
      if (!edge && this.listed.has(id)) {
        // The edge has no such job (its store was reset, or the job was deleted): nobody will
        // ever read this output, so stop it and let it go.
        void this.forget(active).catch((error: Error) =>
          this.options.log(`rbee agent: cannot drop job ${id}: ${error.message}`),
        );
        continue;
      }
      active.logs.resume(this.frameSender(), edge?.next_seq ?? active.logs.ackedSeq);
      const record = this.options.ledger.get(id);
      if (record?.state === 'finished') this.reportDone(record);
      else if (record?.state === 'running' && active.step) this.reportStep(id, active.step);
      if (edge?.cancel) this.options.cancel(active);
    }
  }

  /** The session is over: keep everything, send nothing, until the next welcome. */
  onDisconnect(): void {
    this.send = undefined;
    for (const active of this.options.active.values()) active.logs.pause();
  }

  /** The edge stored every entry of `job` below `nextSeq`. */
  onAck(job: string, nextSeq: number): void {
    this.options.active.get(job)?.logs.ack(nextSeq);
  }

  /** The edge has every entry and the outcome: the record stays, the spool goes. */
  async onDoneAck(id: string): Promise<void> {
    const active = this.options.active.get(id);
    if (this.options.ledger.get(id)?.state !== 'finished' || !active) return;
    this.options.active.delete(id);
    active.logs.close();
    await this.options.ledger.update(id, { state: 'reported' });
    await active.spool.delete();
  }

  /** A job accepted during this session starts streaming its log at once. */
  attach(active: ActiveJob): void {
    if (this.send) active.logs.resume(this.frameSender(), 0);
  }

  /**
   * The edge delivered a job again. A finished one it still waits for is reported again, with
   * whatever of its log the edge has not acknowledged.
   */
  redelivered(id: string): void {
    const active = this.options.active.get(id);
    const record = this.options.ledger.get(id);
    if (active && record?.state === 'finished' && this.send) {
      active.logs.resume(this.frameSender(), active.logs.ackedSeq);
      this.reportDone(record);
    }
  }

  /** Tells the edge a job's outcome; repeated at every welcome until `done_ack`. */
  reportDone(record: LedgerRecord): void {
    this.emit({
      type: 'job_done',
      job: record.job.id,
      outcome: record.outcome!,
      total: record.total!,
      ...(record.error ? { error: record.error } : {}),
    });
  }

  /** Tells the edge which step a job is in. */
  reportStep(id: string, step: string): void {
    this.emit({ type: 'job_state', job: id, state: 'running', step });
  }

  private frameSender() {
    const send = this.send;
    return (frame: LogFrame) => send?.(frame) ?? false;
  }

  /** Lets go of a job the edge does not know: stops it, marks it reported, deletes its log. */
  private async forget(active: ActiveJob): Promise<void> {
    const id = active.spec.id;
    this.options.log(`rbee agent: the edge does not know job ${id}; dropping its log`);
    this.options.active.delete(id);
    this.options.dequeue(active);
    active.controller?.abort(new JobStop('forgotten', 'the edge does not know this job'));
    await active.done;
    await active.logs.flush(); // nothing may reach the spool after it is deleted
    active.logs.close();
    await this.options.ledger.update(id, { state: 'reported' });
    await active.spool.delete();
  }
}
