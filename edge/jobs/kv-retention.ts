import type { KvKey, KvLike } from '../store/kv-like.ts';
import type { JobRecord } from '../store/records.ts';
import { jobIndexKeys } from './job-indexes.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Deletes per commit: well under Deno KV's limit on one atomic write. */
const DELETES_PER_COMMIT = 200;

/** Retention and leases on the Deno KV API (KvStore delegates here). */
export const kvRetention = {
  /** Jobs created before `before`, oldest first, after the job id `after`, at most `limit`. */
  async listJobsCreatedBefore(kv: KvLike, before: number, after: string | null, limit: number) {
    const out: JobRecord[] = [];
    const selector =
      after === null ? { prefix: ['job'] } : { prefix: ['job'], start: ['job', after] };
    for await (const e of kv.list<Uint8Array>(selector, { limit: limit + 1 })) {
      const job = JSON.parse(dec.decode(e.value)) as JobRecord;
      if (job.id === after) continue;
      if (job.created_at >= before) break; // ids sort by creation time: nothing older follows
      out.push(job);
      if (out.length >= limit) break;
    }
    return out;
  },

  /**
   * Removes the stored logs of these jobs (chunks and heads), many jobs per commit: a log head is
   * read 10 at a time, and only logs that exist are listed.
   */
  async deleteLogs(kv: KvLike, jobs: string[]): Promise<number> {
    const keys: KvKey[] = [];
    let removed = 0;
    for (let i = 0; i < jobs.length; i += 10) {
      const slice = jobs.slice(i, i + 10);
      const heads = await kv.getMany<Uint8Array>(slice.map((id) => ['log_head', id]));
      for (let k = 0; k < slice.length; k++) {
        if (heads[k]!.value === null) continue;
        removed++;
        for await (const e of kv.list({ prefix: ['log', slice[k]!] })) keys.push(e.key);
        keys.push(['log_head', slice[k]!]);
      }
    }
    await deleteKeys(kv, keys);
    return removed;
  },

  /**
   * Removes ended jobs with their index keys, acceptances and logs, many per commit. Blind
   * deletes: an ended job never changes again, so there is nothing to compare and set.
   */
  async deleteEndedJobs(kv: KvLike, jobs: JobRecord[]) {
    await kvRetention.deleteLogs(
      kv,
      jobs.map((j) => j.id),
    );
    const keys: KvKey[] = [];
    for (const job of jobs) {
      keys.push(['job', job.id], ['accepted', job.id]);
      for (const key of jobIndexKeys(job)) keys.push(key as unknown as KvKey);
    }
    await deleteKeys(kv, keys);
  },

  /**
   * Takes or renews the lease `name` for `owner` until `now + ttlMs`, by compare-and-set: true
   * when `owner` holds it now (it was free, expired, or already its own).
   */
  async tryLease(kv: KvLike, name: string, owner: string, now: number, ttlMs: number) {
    const key: KvKey = ['lease', name];
    const entry = await kv.get<Uint8Array>(key);
    if (entry.value !== null) {
      const held = JSON.parse(dec.decode(entry.value)) as { owner: string; until: number };
      if (held.owner !== owner && held.until > now) return false;
    }
    const value = enc.encode(JSON.stringify({ owner, until: now + ttlMs }));
    return (await kv.atomic().check(entry).set(key, value).commit()).ok;
  },
};

async function deleteKeys(kv: KvLike, keys: KvKey[]) {
  for (let i = 0; i < keys.length; i += DELETES_PER_COMMIT) {
    const op = kv.atomic();
    for (const key of keys.slice(i, i + DELETES_PER_COMMIT)) op.delete(key);
    await op.commit();
  }
}
