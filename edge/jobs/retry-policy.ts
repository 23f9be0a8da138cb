import type { JobState } from '../../shared/protocol/job.ts';
import type { JobRecord } from '../store/records.ts';

/**
 * What the agent reports for a job its restart cut short (agent/jobs/job-manager.ts), and what
 * the edge says of a running job an agent reconnects without (job-service.ts onHello). Neither
 * carries a `step`: the build itself did not fail.
 */
export const INFRASTRUCTURE_FAILURES = [
  'agent restarted during the build',
  'the agent reconnected without this job: its state dir was lost while the job ran',
] as const;

/**
 * The one place that decides retry or give up: a job with retries left that ends `failed` for
 * an infrastructure reason (above, with no step), or `delivery_timed_out`, gets a new attempt.
 * A failure of the build (any error naming a step), a cancel or a timeout never does.
 * @example shouldRetry({ ...job, retries_left: 1 }, 'failed', { message: 'agent restarted during the build' }) // true
 */
export function shouldRetry(job: JobRecord, to: JobState, error: JobRecord['error']): boolean {
  if ((job.retries_left ?? 0) <= 0 || job.kind !== 'install' || job.cancel_requested) return false;
  if (to === 'delivery_timed_out') return true;
  if (to !== 'failed' || !error || error.step !== undefined) return false;
  return (INFRASTRUCTURE_FAILURES as readonly string[]).includes(error.message);
}
