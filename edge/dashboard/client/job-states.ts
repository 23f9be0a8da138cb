import type { JobState } from '../../../shared/protocol/job.ts';
import type { Job } from './types.ts';

/** States a job never leaves (the same set as `terminalStates` in shared/protocol/job.ts). */
export const TERMINAL: ReadonlySet<string> = new Set<JobState>([
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'delivery_timed_out',
]);

/** A rollout's job held back for a slot shows as waiting until it is released or ends. */
export const shownState = (j: Pick<Job, 'held' | 'state'>) =>
  j.held && j.state === 'queued' ? 'waiting' : j.state;
