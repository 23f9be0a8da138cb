import type {
  AgentRelease,
  JobError,
  JobKind,
  JobOutcome,
  JobState,
} from '../../shared/protocol/job.ts';
import { terminalStates } from '../../shared/protocol/job.ts';
import type { EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';
import type { BuildMode } from '../../shared/repo/package-record.ts';
import type { LogBus } from '../logs/log-bus.ts';
import type { EdgeOptions } from '../options.ts';
import type { JobRecord } from '../store/records.ts';
import type { LogHead, Store } from '../store/store.ts';
import { bindJob } from './job-binding.ts';
import { newJobId } from './job-id.ts';
import { shouldRetry } from './retry-policy.ts';
import { applyTransition } from './transitions.ts';

/** How the job service reaches a hive's open socket, if it has one. */
export type HiveLink = {
  isOnline(hive: string): boolean;
  send(hive: string, message: MessageBody<EdgeMessage>): boolean;
};

/** Jobs stored per step of a fleet-wide create before they are sent. */
const CREATE_SLICE = 200;

export type JobInput = {
  hive: string;
  worker: string;
  kind: JobKind;
  timeout_ms?: number;
  rollout?: string;
  build?: BuildMode;
  /** New attempts after an infrastructure failure (retry-policy.ts). */
  retries?: number;
  /** `upgrade` jobs: the agent to install. */
  agent?: AgentRelease;
};

/** Held jobs (a rollout's beyond its concurrency) are out of the deadline sweep until released. */
export const HELD_DELIVER_BY = Number.MAX_SAFE_INTEGER;

/** Told once per job when it reaches a terminal state (rollouts release the next job here). */
export type JobEndListener = (job: JobRecord, from: JobState) => void | Promise<void>;

export class JobConflictError extends Error {
  override name = 'JobConflictError';
}

/**
 * The job state machine on top of the store. Every change is a compare-and-set through
 * `transition`, so concurrent paths (cancel vs. agent report vs. deadline sweep) settle once.
 */
export class JobService {
  #accepts: { job: string; at: number }[] = [];
  #acceptTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #onEnd: JobEndListener[] = [];
  readonly #onSettled: ((job: JobRecord) => void | Promise<void>)[] = [];

  constructor(
    private readonly store: Store,
    private readonly bus: LogBus,
    private readonly options: EdgeOptions,
    readonly now: () => number,
    private link: HiveLink | null = null,
  ) {}

  /** Calls `listener` once for every job that ends (whichever path ended it). */
  onJobEnd(listener: JobEndListener) {
    this.#onEnd.push(listener);
  }

  /**
   * Calls `listener` for every job that was stored already ended (`already_installed`): end
   * listeners do not hear those (a rollout counts them when it is made), webhooks do.
   */
  onJobSettled(listener: (job: JobRecord) => void | Promise<void>) {
    this.#onSettled.push(listener);
  }

  attach(link: HiveLink) {
    this.link = link;
  }

  /** The digest of the signed statement of a worker, when the catalog has one (job binding). */
  statementOf: (worker: string) => string | undefined = () => undefined;

  /**
   * The one way a job's state changes: applies `to` (and a patch) only when the transition
   * table allows it from the stored state and `guard` agrees; a refused change writes nothing
   * and returns null.
   */
  async transition(
    id: string,
    to: JobState,
    patch: Partial<JobRecord> = {},
    guard: (job: JobRecord) => boolean = () => true,
  ): Promise<JobRecord | null> {
    const now = this.now();
    let from: JobState = to;
    let retry: string | null = null;
    const next = await this.store.updateJob(id, (job) => {
      if (!guard(job)) return null;
      retry = null;
      const error = patch.error === undefined ? job.error : patch.error;
      const again = !terminalStates.has(job.state) && shouldRetry(job, to, error);
      if (again) retry = newJobId(now);
      const moved = applyTransition(job, to, again ? { ...patch, retried_by: retry! } : patch, now);
      if (moved) from = job.state;
      return moved;
    });
    if (next) this.bus.publish(id);
    // The new attempt exists before anyone hears the old one ended (its rollout slot passes on).
    if (next && retry) await this.#retry(next, retry);
    if (next && terminalStates.has(to) && !terminalStates.has(from)) {
      for (const listener of this.#onEnd) {
        try {
          await listener(next, from);
        } catch (error) {
          console.error(`job ${id}: an end listener failed:`, error);
        }
      }
    }
    return next;
  }

  /** A new attempt of a job that failed for an infrastructure reason, with one retry less. */
  async #retry(failed: JobRecord, id: string) {
    const now = this.now();
    const online = this.link?.isOnline(failed.hive) ?? false;
    const { held: _held, retried_by: _by, ...base } = failed;
    const job: JobRecord = {
      ...base,
      id,
      state: online ? 'dispatched' : 'queued',
      step: null,
      created_at: now,
      updated_at: now,
      deliver_by: now + this.options.deliveryTimeoutMs,
      dispatched_at: online ? now : null,
      accepted_at: null,
      ended_at: null,
      cancel_requested: false,
      error: null,
      pending_done: null,
      retries_left: (failed.retries_left ?? 1) - 1,
      retry_of: failed.id,
    };
    await this.store.createJob(job);
    if (job.state === 'dispatched') this.#send(job);
  }

  /**
   * Jobs that end at once without being sent: the hive already has the worker at this version
   * and pkgrel (an install without `force`). Stored succeeded with `already_installed`; no end
   * listener hears them (nothing ran; a rollout counts them when it is made), settled
   * listeners do (webhooks tell them as ended jobs).
   */
  async createSettled(hives: string[], input: Omit<JobInput, 'hive'>): Promise<JobRecord[]> {
    const now = this.now();
    const jobs = hives.map(
      (hive): JobRecord => ({
        id: newJobId(now),
        hive,
        kind: input.kind,
        worker: input.worker,
        state: 'succeeded',
        step: null,
        created_at: now,
        updated_at: now,
        deliver_by: now,
        dispatched_at: null,
        accepted_at: null,
        ended_at: now,
        cancel_requested: false,
        error: null,
        pending_done: null,
        timeout_ms: input.timeout_ms ?? null,
        rollout: input.rollout ?? null,
        already_installed: true,
      }),
    );
    await this.store.createJobs(jobs);
    for (const job of jobs) {
      for (const listener of this.#onSettled) {
        try {
          await listener(job);
        } catch (error) {
          console.error(`job ${job.id}: a settled listener failed:`, error);
        }
      }
    }
    return jobs;
  }

  /** Creates a job and delivers it at once when its hive is online. */
  async create(input: JobInput): Promise<JobRecord> {
    const [job] = await this.createMany([input.hive], input);
    return job!;
  }

  /**
   * Creates one job per hive in few store commits, then sends each to its hive if online.
   * A job for an online hive is stored as dispatched before it is sent: if the send is lost
   * with the socket, the next hello finds it dispatched and not in the agent's ledger, and
   * sends it again (at least once).
   */
  async createMany(
    hives: string[],
    input: Omit<JobInput, 'hive'>,
    /** Jobs after the first `release` are held for their rollout (stored, not sent). */
    release = hives.length,
  ): Promise<JobRecord[]> {
    const now = this.now();
    const jobs = hives.map((hive, i): JobRecord => {
      const held = i >= release;
      const online = !held && (this.link?.isOnline(hive) ?? false);
      return {
        id: newJobId(now),
        hive,
        kind: input.kind,
        worker: input.worker,
        state: online ? 'dispatched' : 'queued',
        step: null,
        created_at: now,
        updated_at: now,
        deliver_by: held ? HELD_DELIVER_BY : now + this.options.deliveryTimeoutMs,
        dispatched_at: online ? now : null,
        accepted_at: null,
        ended_at: null,
        cancel_requested: false,
        error: null,
        pending_done: null,
        timeout_ms: input.timeout_ms ?? null,
        rollout: input.rollout ?? null,
        ...(input.build ? { build: input.build } : {}),
        ...(held ? { held: true } : {}),
        ...(input.retries ? { retries_left: input.retries } : {}),
        ...(input.agent ? { agent: input.agent } : {}),
      };
    });
    // Store and send in slices, so the first agents are building while later jobs are stored.
    for (let i = 0; i < jobs.length; i += CREATE_SLICE) {
      const slice = jobs.slice(i, i + CREATE_SLICE);
      await this.store.createJobs(slice);
      for (const job of slice) if (job.state === 'dispatched') this.#send(job);
    }
    return jobs;
  }

  #send(job: JobRecord): boolean {
    return (
      this.link?.send(job.hive, {
        type: 'job',
        job: {
          id: job.id,
          kind: job.kind,
          worker: job.worker,
          ...(job.timeout_ms ? { timeout_ms: job.timeout_ms } : {}),
          ...(job.build ? { build: job.build } : {}),
          ...(job.agent ? { agent: job.agent } : {}),
          ...bindJob(job, this.statementOf(job.worker), this.now(), this.options.jobTtlMs),
        },
      }) ?? false
    );
  }

  /**
   * Sends a job down its hive's socket. A queued job becomes dispatched first, so the agent's
   * answers can never arrive before the state they move on from; a lost send is repaired by
   * the redelivery on the next hello.
   */
  async deliver(job: JobRecord): Promise<boolean> {
    if (job.held) return false; // its rollout releases it
    if (job.state === 'queued') {
      if (job.deliver_by < this.now()) {
        await this.transition(job.id, 'delivery_timed_out', {
          error: { message: 'the hive did not come online before the delivery deadline' },
        });
        return false;
      }
      const dispatched = await this.transition(
        job.id,
        'dispatched',
        { dispatched_at: this.now() },
        (j) => j.state === 'queued',
      );
      if (!dispatched) return false;
    }
    return this.#send(job);
  }

  /**
   * After a hive's hello: what the edge needs for each job the agent listed, and delivery of
   * the rest. A dispatched job the agent does not list never reached its ledger: send it again.
   * A running one it does not list is lost (the agent's state was wiped): fail it, saying so.
   */
  async onHello(hive: string, listed: { id: string; next_seq: number }[]) {
    const welcome: { id: string; next_seq: number; cancel: boolean }[] = [];
    for (const { id } of listed) {
      const job = await this.store.getJob(id);
      if (!job || job.hive !== hive) continue;
      // Listed means it is in the agent's ledger: accepted, even if the accept itself was lost.
      if (job.accepted_at === null) this.onAccept(id);
      const head = await this.store.logHead(id);
      welcome.push({ id, next_seq: head.next, cancel: job.cancel_requested });
    }
    const listedIds = new Set(listed.map((j) => j.id));
    const toDeliver: JobRecord[] = [];
    for (const job of await this.store.listOpenJobs(hive)) {
      if (listedIds.has(job.id)) continue;
      if (job.state === 'running') {
        await this.transition(job.id, 'failed', {
          error: {
            message:
              'the agent reconnected without this job: its state dir was lost while the job ran',
          },
        });
      } else if (job.state === 'dispatched' && job.cancel_requested) {
        await this.transition(job.id, 'cancelled');
      } else if (!job.held) {
        toDeliver.push(job);
      }
    }
    return { welcome, toDeliver };
  }

  /**
   * An agent accepted a job. Acceptances are written in batches (a fleet-wide install brings
   * thousands at once, and one store commit each would take seconds).
   */
  onAccept(id: string) {
    this.#accepts.push({ job: id, at: this.now() });
    this.#acceptTimer ??= setTimeout(() => {
      this.flushAccepts().catch((error) => console.error('recording accepts failed:', error));
    }, 10);
  }

  /** Writes the acceptances gathered so far; also called on shutdown so none are lost. */
  async flushAccepts() {
    if (this.#acceptTimer) clearTimeout(this.#acceptTimer);
    this.#acceptTimer = null;
    const batch = this.#accepts.splice(0);
    if (batch.length > 0) await this.store.recordAccepts(batch);
  }

  async onRunning(id: string, step: string) {
    await this.transition(
      id,
      'running',
      { step },
      (job) => job.state === 'dispatched' || job.state === 'running',
    );
  }

  /** The agent's final word; applied once the log holds every entry it announced. */
  async onDone(
    id: string,
    done: { outcome: JobOutcome; total: number; error?: JobError },
    head: LogHead,
  ) {
    const pending = {
      outcome: done.outcome,
      total: done.total,
      ...(done.error ? { error: done.error } : {}),
    };
    const job = await this.store.updateJob(id, (j) =>
      terminalStates.has(j.state) ? null : { ...j, pending_done: pending },
    );
    if (!job) return (await this.store.getJob(id)) !== null; // already final: just acknowledge
    return this.settle(id, head);
  }

  /** Finishes a job whose announced log is now complete. Returns true when the job is final. */
  async settle(id: string, head: LogHead): Promise<boolean> {
    const job = await this.store.getJob(id);
    if (!job) return false;
    if (terminalStates.has(job.state)) return true;
    const done = job.pending_done;
    if (!done || head.next < done.total) return false;
    const final = await this.transition(id, done.outcome, {
      error: done.error ?? null,
      step: null,
      pending_done: null,
    });
    return final !== null || terminalStates.has((await this.store.getJob(id))?.state ?? 'queued');
  }

  /** Cancels: a queued job at once; a delivered one by telling its agent, which reports back. */
  async cancel(id: string): Promise<JobRecord | null> {
    const job = await this.store.getJob(id);
    if (!job) return null;
    if (terminalStates.has(job.state))
      throw new JobConflictError(`job ${id} is already ${job.state}`);
    if (job.state === 'queued') {
      const done = await this.transition(id, 'cancelled', {}, (j) => j.state === 'queued');
      if (done) return done;
      return this.cancel(id);
    }
    const marked = await this.store.updateJob(id, (j) =>
      terminalStates.has(j.state) ? null : { ...j, cancel_requested: true, updated_at: this.now() },
    );
    this.link?.send(job.hive, { type: 'cancel', job: id });
    this.bus.publish(id);
    return marked ?? (await this.store.getJob(id));
  }

  /**
   * Releases a held job of a rollout: it gets its delivery deadline from now and is sent if its
   * hive is online. False when it was no longer held (released or cancelled meanwhile).
   */
  async release(id: string): Promise<boolean> {
    const deliverBy = this.now() + this.options.deliveryTimeoutMs;
    const job = await this.store.updateJob(id, (j) =>
      j.held && j.state === 'queued' ? { ...j, held: false, deliver_by: deliverBy } : null,
    );
    if (!job) return false;
    this.bus.publish(id);
    if (this.link?.isOnline(job.hive)) await this.deliver(job);
    return true;
  }

  /** Cancels a job its rollout still holds back (the rollout stopped); false when it was not held. */
  async cancelHeld(id: string, why: string): Promise<boolean> {
    const done = await this.transition(
      id,
      'cancelled',
      { error: { message: why } },
      (j) => j.state === 'queued' && j.held === true,
    );
    return done !== null;
  }

  /** Turns queued jobs past their delivery deadline into delivery_timed_out. */
  async sweepDeadlines() {
    const now = this.now();
    for (const job of await this.store.listDueJobs(now)) {
      await this.transition(
        job.id,
        'delivery_timed_out',
        {
          error: {
            message: `the hive did not come online within ${this.options.deliveryTimeoutMs} ms`,
          },
        },
        (j) => j.state === 'queued',
      );
    }
  }
}
