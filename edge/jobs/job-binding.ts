import type { JobSpec } from '../../shared/protocol/job.ts';
import type { JobRecord } from '../store/records.ts';

/**
 * The binding fields of a job message: its hive, the signed statement it installs, when it was
 * sent and until when it holds. Sent fresh on every delivery, so a job that waited for its hive
 * is not born expired; an agent that verifies refuses one without them.
 */
export function bindJob(
  job: JobRecord,
  statement: string | undefined,
  now: number,
  ttlMs: number,
): Pick<JobSpec, 'hive' | 'statement' | 'issued_at' | 'expires_at'> {
  return {
    hive: job.hive,
    ...(statement ? { statement } : {}),
    issued_at: now,
    expires_at: now + ttlMs,
  };
}
