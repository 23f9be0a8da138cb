import type { JobState } from '../../../shared/protocol/job.ts';
import type { Job } from './types.ts';

/**
 * States a job never leaves: `terminalStates` of shared/protocol/job.ts, spelled out here
 * because importing that module's values would bundle zod into the page
 * (test/dashboard/client-script.test.ts checks that the two sets are equal).
 */
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
