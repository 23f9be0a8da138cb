import type { AgentRelease, JobKind, JobState } from '../../shared/protocol/job.ts';
import type { BuildMode } from '../../shared/repo/package-record.ts';
import { newJobId } from '../jobs/job-id.ts';
import { JobConflictError, type JobService } from '../jobs/job-service.ts';
import type { JobRecord, RolloutCounts, RolloutRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

export type RolloutInput = {
  worker: string;
  kind: JobKind;
  timeout_ms?: number;
  build?: BuildMode;
  /** Jobs in progress at once (default: all). */
  max_concurrency?: number;
  /** Failed jobs after which the rest are cancelled and the rollout stops (default: never). */
  max_errors?: number;
  /** Hives that build first; the rest wait until every one of them succeeded. */
  canary?: number;
  /** New attempts of a job after an infrastructure failure. */
  retries?: number;
  /** `upgrade` rollouts: the agent every job installs. */
  agent?: AgentRelease;
};

/** Which count a finished job adds to. */
function outcomeOf(state: JobState): 'succeeded' | 'failed' | 'cancelled' {
  if (state === 'succeeded') return 'succeeded';
  if (state === 'cancelled') return 'cancelled';
  return 'failed'; // failed, timed_out, delivery_timed_out
}

/** What a job's end means for a canary rollout still in its canary phase. */
function canaryVerdict(
  r: RolloutRecord,
  state: JobState,
  wasHeld: boolean,
  counts: RolloutCounts,
): 'failed' | 'passed' | null {
  if (!r.canary || r.canary.passed || wasHeld) return null;
  if (state !== 'succeeded') return 'failed';
  return counts.succeeded >= Math.min(r.canary.size, counts.total) ? 'passed' : null;
}

/** The state once every job is over: stopped stays stopped; any failure makes it failed. */
function finalState(r: RolloutRecord): RolloutRecord['state'] {
  if (r.state === 'stopped') return 'stopped';
  return r.counts.failed > 0 ? 'failed' : 'succeeded';
}

/**
 * Rollouts: one job per hive, at most `max_concurrency` in progress; each job that ends frees
 * its slot for the next held one, until `max_errors` failures stop the rollout and cancel the
 * jobs still held (those in progress finish), as AWS SSM's MaxConcurrency and MaxErrors do.
 * @example
 * const rollouts = new RolloutService(store, jobs);
 * const { rollout, jobs: created } = await rollouts.create(hiveIds, { worker, kind: 'install', max_concurrency: 2, max_errors: 1 });
 */
export class RolloutService {
  readonly #onEnd: ((rollout: RolloutRecord) => void | Promise<void>)[] = [];

  /** Calls `listener` once for every rollout that ends (webhooks: rollout.ended). */
  onRolloutEnd(listener: (rollout: RolloutRecord) => void | Promise<void>) {
    this.#onEnd.push(listener);
  }

  constructor(
    private readonly store: Store,
    private readonly jobs: JobService,
  ) {
    jobs.onJobEnd((job, from) => (job.rollout ? this.#onJobEnd(job, from) : undefined));
  }

  async create(
    hives: string[],
    input: RolloutInput,
    /** Hives that already have the worker at this version: their jobs succeed at once. */
    settled: string[] = [],
  ): Promise<{ rollout: RolloutRecord; jobs: JobRecord[] }> {
    const now = this.jobs.now();
    const release = Math.min(
      hives.length,
      input.canary ?? hives.length,
      input.max_concurrency ?? hives.length,
    );
    const counts: RolloutCounts = {
      total: hives.length + settled.length,
      waiting: hives.length - release,
      in_progress: release,
      succeeded: settled.length,
      failed: 0,
      cancelled: 0,
    };
    const rollout: RolloutRecord = {
      id: newJobId(now).replace(/^job_/, 'ro_'),
      kind: input.kind,
      worker: input.worker,
      state: 'running',
      max_concurrency: input.max_concurrency ?? null,
      max_errors: input.max_errors ?? null,
      ...(input.canary ? { canary: { size: input.canary, passed: false } } : {}),
      counts,
      created_at: now,
      updated_at: now,
      ended_at: null,
    };
    if (hives.length === 0) Object.assign(rollout, { state: 'succeeded', ended_at: now });
    await this.store.createRollout(rollout);
    const done = await this.jobs.createSettled(settled, {
      worker: input.worker,
      kind: input.kind,
      rollout: rollout.id,
    });
    if (hives.length === 0) {
      for (const listener of this.#onEnd) await listener(rollout);
      return { rollout, jobs: done };
    }
    const jobs = await this.jobs.createMany(
      hives,
      {
        worker: input.worker,
        kind: input.kind,
        rollout: rollout.id,
        ...(input.timeout_ms ? { timeout_ms: input.timeout_ms } : {}),
        ...(input.build ? { build: input.build } : {}),
        ...(input.retries ? { retries: input.retries } : {}),
        ...(input.agent ? { agent: input.agent } : {}),
      },
      release,
    );
    return {
      rollout: (await this.store.getRollout(rollout.id)) ?? rollout,
      jobs: [...done, ...jobs],
    };
  }

  get(id: string) {
    return this.store.getRollout(id);
  }

  /**
   * Cancels what is left of a rollout: it stops (no job is released any more), the jobs still
   * waiting are cancelled, and each job in progress gets the agent's cancel (its build stops;
   * it is counted as it ends). Null when there is no such rollout; `ended` when all its jobs
   * had already ended (then nothing changes).
   */
  async cancel(id: string): Promise<{ rollout: RolloutRecord; ended: boolean } | null> {
    if (!(await this.store.getRollout(id))) return null;
    const now = this.jobs.now();
    const marked = await this.store.updateRollout(id, (r) =>
      r.ended_at !== null
        ? null
        : {
            ...r,
            state: r.state === 'running' ? 'stopped' : r.state,
            cancel_requested: true,
            updated_at: now,
          },
    );
    if (!marked) return { rollout: (await this.store.getRollout(id))!, ended: true };
    await this.#cancelHeld(id, `rollout ${id} was cancelled`);
    for (const job of await this.store.listOpenJobs()) {
      if (job.rollout !== id || job.held) continue;
      try {
        await this.jobs.cancel(job.id);
      } catch (error) {
        if (!(error instanceof JobConflictError)) throw error; // it ended meanwhile
      }
    }
    return { rollout: (await this.store.getRollout(id)) ?? marked, ended: false };
  }

  /** A job of the rollout ended: count it, then stop the rollout or release the next job. */
  async #onJobEnd(job: JobRecord, from: JobState) {
    if (job.retried_by) return; // its new attempt keeps the slot and is counted when it ends
    const id = job.rollout!;
    const now = this.jobs.now();
    const wasHeld = from === 'queued' && job.held === true;
    let endedNow = false;
    const counted = await this.store.updateRollout(id, (r) => {
      endedNow = false;
      const counts = { ...r.counts };
      if (wasHeld) counts.waiting -= 1;
      else counts.in_progress -= 1;
      counts[outcomeOf(job.state)] += 1;
      const next: RolloutRecord = { ...r, counts, updated_at: now };
      if (r.state === 'running' && r.max_errors !== null && counts.failed >= r.max_errors) {
        next.state = 'stopped';
      }
      const canary = canaryVerdict(r, job.state, wasHeld, counts);
      if (canary === 'failed' && next.state === 'running') next.state = 'stopped';
      if (canary === 'passed') next.canary = { size: r.canary!.size, passed: true };
      if (counts.waiting === 0 && counts.in_progress === 0) {
        next.state = finalState(next);
        next.ended_at = now;
        endedNow = r.ended_at === null;
      }
      return next;
    });
    if (!counted) return;
    if (endedNow) {
      for (const listener of this.#onEnd) {
        try {
          await listener(counted);
        } catch (error) {
          console.error(`rollout ${id}: an end listener failed:`, error);
        }
      }
    }
    if (counted.state === 'stopped') {
      if (!counted.cancel_requested) {
        const why =
          counted.canary?.passed === false ? 'a canary failed' : 'its max_errors was reached';
        await this.#cancelHeld(id, `rollout ${id} stopped: ${why}`);
      }
      return;
    }
    if (counted.state !== 'running' || wasHeld) return;
    if (counted.canary && !counted.canary.passed) return; // the canaries have not all succeeded
    // The canaries just passed: release up to max_concurrency at once, else one for this slot.
    const slots =
      counted.canary && counted.counts.in_progress === 0
        ? Math.min(counted.counts.waiting, counted.max_concurrency ?? counted.counts.waiting)
        : 1;
    for (let i = 0; i < slots; i++) await this.#releaseNext(id);
  }

  /** Frees the ended job's slot: the oldest held job is released (a raced one is skipped). */
  async #releaseNext(id: string) {
    for (;;) {
      const [next] = await this.store.listHeldJobs(id, 1);
      if (!next) return;
      const moved = await this.store.updateRollout(id, (r) =>
        r.state === 'running'
          ? {
              ...r,
              counts: {
                ...r.counts,
                waiting: r.counts.waiting - 1,
                in_progress: r.counts.in_progress + 1,
              },
            }
          : null,
      );
      if (!moved) return;
      if (await this.jobs.release(next.id)) return;
      // Someone else released or cancelled it first: give the slot count back and try the next.
      await this.store.updateRollout(id, (r) => ({
        ...r,
        counts: {
          ...r.counts,
          waiting: r.counts.waiting + 1,
          in_progress: r.counts.in_progress - 1,
        },
      }));
    }
  }

  /** Cancels every job the stopped rollout still holds; each is counted as it ends. */
  async #cancelHeld(id: string, why: string) {
    for (;;) {
      const held = await this.store.listHeldJobs(id, 100);
      if (held.length === 0) return;
      for (const job of held) {
        await this.jobs.cancelHeld(job.id, why);
      }
    }
  }
}
