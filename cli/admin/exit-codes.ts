import { ApiError } from '../../shared/client/api-error.ts';
import type { JobState } from '../../shared/protocol/job.ts';
import { UsageError } from '../command.ts';

/** The admin commands' exit status (README lists them): scripts branch on these. */
export const EXIT = {
  ok: 0,
  /** The job or rollout failed (or another error). */
  failed: 1,
  usage: 2,
  /** 401/403: the token is missing, wrong, expired or its role is not enough. */
  auth: 3,
  notFound: 4,
  /** 409: the change conflicts with the state (a finished job, a taken name). */
  conflict: 5,
  /** The edge did not answer. */
  unreachable: 6,
  cancelled: 7,
  timedOut: 8,
} as const;

/** The exit status for a job's final state. */
export function exitForJob(state: JobState): number {
  if (state === 'succeeded') return EXIT.ok;
  if (state === 'cancelled') return EXIT.cancelled;
  if (state === 'timed_out' || state === 'delivery_timed_out') return EXIT.timedOut;
  return EXIT.failed;
}

/** The exit status for a rollout's final state (stopped = cancelled or stopped by max_errors). */
export function exitForRollout(state: string): number {
  if (state === 'succeeded') return EXIT.ok;
  if (state === 'stopped') return EXIT.cancelled;
  return EXIT.failed;
}

/** The exit status for an error a command threw; usage errors are handled by the caller. */
export function exitForError(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (!(error instanceof ApiError)) return EXIT.failed;
  if (error.status === 0) return EXIT.unreachable;
  if (error.status === 401 || error.status === 403) return EXIT.auth;
  if (error.status === 404) return EXIT.notFound;
  if (error.status === 409) return EXIT.conflict;
  if (error.status === 400 || error.status === 413) return EXIT.usage;
  return EXIT.failed;
}
