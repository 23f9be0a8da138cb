import { terminalStates } from '../../shared/protocol/job.ts';
import type { JobRecord } from '../store/records.ts';

/**
 * A key of a per-state job index, engine-neutral: the KV store uses it as a key, a Redis engine
 * can map it onto a set member. The last part is always the job id.
 */
export type JobIndexKey =
  /** Every job of a hive (the hive's job list). */
  | readonly ['job_by_hive', hive: string, id: string]
  /** Jobs not yet in a terminal state (redelivery on hello, rollout cancel). */
  | readonly ['open', hive: string, id: string]
  /** Queued jobs by delivery deadline, so the sweep reads only the ones that are due. */
  | readonly ['due', deliverBy: number, id: string]
  /** Jobs a rollout holds back, so releasing the next one reads one key. */
  | readonly ['held', rollout: string, id: string];

/**
 * The indexes a job record belongs in, derived from the record alone. An engine writes these
 * keys with the record and, on an update, deletes the old record's keys that the new one lacks
 * and adds the new ones (see `diffJobIndexKeys`), in the same atomic commit.
 * @example jobIndexKeys(queuedJob) // [['job_by_hive', 'h1', id], ['open', 'h1', id], ['due', 1700000000000, id]]
 */
export function jobIndexKeys(job: JobRecord): JobIndexKey[] {
  const keys: JobIndexKey[] = [['job_by_hive', job.hive, job.id]];
  if (!terminalStates.has(job.state)) keys.push(['open', job.hive, job.id]);
  if (job.state === 'queued') keys.push(['due', job.deliver_by, job.id]);
  if (job.held && job.rollout && job.state === 'queued') keys.push(['held', job.rollout, job.id]);
  return keys;
}

/** What an update from `before` to `after` must delete and add in the indexes. */
export function diffJobIndexKeys(
  before: JobRecord,
  after: JobRecord,
): { remove: JobIndexKey[]; add: JobIndexKey[] } {
  const old = jobIndexKeys(before);
  const next = jobIndexKeys(after);
  const id = (key: JobIndexKey) => key.join('\u0000');
  const oldIds = new Set(old.map(id));
  const nextIds = new Set(next.map(id));
  return {
    remove: old.filter((k) => !nextIds.has(id(k))),
    add: next.filter((k) => !oldIds.has(id(k))),
  };
}
