import type { JobState } from '../../shared/protocol/job.ts';
import { terminalStates } from '../../shared/protocol/job.ts';
import type { JobRecord } from '../store/records.ts';

/**
 * The job state machine: for each state, the states it may move to. Anything else is refused,
 * never applied. The one self-transition is running → running: each `job_state` moves the
 * running job to its next step. A terminal state has no way out, not even to itself, so a late
 * or repeated end (a second cancel, a sweep racing an agent report) cannot rewrite how it ended.
 */
export const allowedTransitions: Record<JobState, readonly JobState[]> = {
  queued: ['dispatched', 'cancelled', 'delivery_timed_out'],
  dispatched: ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  running: ['running', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  delivery_timed_out: [],
};

/** Whether the table allows `from → to`. */
export const canTransition = (from: JobState, to: JobState) =>
  allowedTransitions[from].includes(to);

/**
 * The record after moving `job` to `to` with `patch`, or null when the table refuses the move
 * (then nothing may be written). Pure, so a compare-and-set may call it again on a retry.
 * @example applyTransition(job, 'running', { step: 'build' }, Date.now())
 */
export function applyTransition(
  job: JobRecord,
  to: JobState,
  patch: Partial<JobRecord>,
  now: number,
): JobRecord | null {
  if (!canTransition(job.state, to)) return null;
  return {
    ...job,
    ...patch,
    state: to,
    updated_at: now,
    ended_at: terminalStates.has(to) ? now : job.ended_at,
  };
}
