import type { JobState } from '../../shared/protocol/job.ts';

/** The job state machine: for each state, the states it may move to. Anything else is refused. */
export const allowedTransitions: Record<JobState, readonly JobState[]> = {
  queued: ['dispatched', 'cancelled', 'delivery_timed_out'],
  dispatched: ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  running: ['succeeded', 'failed', 'cancelled', 'timed_out'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  delivery_timed_out: [],
};

export const canTransition = (from: JobState, to: JobState) =>
  allowedTransitions[from].includes(to);
