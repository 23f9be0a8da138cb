import type { LogBatch } from '../../shared/protocol/log-batch.ts';
import type { LogEntry } from '../../shared/protocol/log-entry.ts';
import type { PackageRecord } from '../../shared/repo/package-record.ts';
import type {
  ApiTokenRecord,
  AuditFilter,
  AuditRecord,
  DeliveryRecord,
  EnrolmentTokenRecord,
  HiveRecord,
  JobFilter,
  JobRecord,
  RolloutRecord,
  WebhookRecord,
} from './records.ts';

/** A stored piece of a job's log, as JSON text (each entry with `s` first). */
export type LogChunk = LogBatch;

/** Where a job's log stands: the next seq it needs and the bytes stored so far. */
export type LogHead = { next: number; bytes: number };

/**
 * The edge's one persistence port. Engines: Deno KV (file on Node and Deno, managed on
 * Deno Deploy); a Redis engine will implement the same contract (test/edge/store-contract.ts).
 */
export interface Store {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /** Removes a meta entry (nothing when there is none). */
  deleteMeta(key: string): Promise<void>;
  /** Meta entries whose keys start with `prefix`, in key order after `after`, at most `limit`. */
  listMeta(
    prefix: string,
    after: string | null,
    limit: number,
  ): Promise<{ key: string; value: string }[]>;
  /** Removes many meta entries, many per commit. */
  deleteMetas(keys: string[]): Promise<void>;

  /** Creates a hive; false when the id or name is taken. */
  createHive(hive: HiveRecord): Promise<boolean>;
  getHive(id: string): Promise<HiveRecord | null>;
  getHiveByName(name: string): Promise<HiveRecord | null>;
  getHiveByTokenHash(hash: string): Promise<HiveRecord | null>;
  listHives(): Promise<HiveRecord[]>;
  /** Read-modify-write with compare-and-set; `fn` returning null leaves the hive unchanged. */
  updateHive(id: string, fn: (hive: HiveRecord) => HiveRecord | null): Promise<HiveRecord | null>;
  /** Removes the hive and its token; false when there was none. */
  deleteHive(id: string): Promise<boolean>;
  /** The hive enrolled from a machine (`HiveRecord.machine`, a hash), or null. */
  getHiveByMachine(machine: string): Promise<HiveRecord | null>;
  /** Gives a hive a new token hash; the old hash stops finding it in the same commit. */
  replaceHiveToken(id: string, tokenHash: string): Promise<HiveRecord | null>;

  /** Creates an enrolment token; false when the id or hash exists. */
  createEnrolmentToken(token: EnrolmentTokenRecord): Promise<boolean>;
  getEnrolmentToken(id: string): Promise<EnrolmentTokenRecord | null>;
  getEnrolmentTokenByHash(hash: string): Promise<EnrolmentTokenRecord | null>;
  /** Oldest first. */
  listEnrolmentTokens(): Promise<EnrolmentTokenRecord[]>;
  /** Compare-and-set on one enrolment token, retried like updateJob; `fn` must be pure. */
  updateEnrolmentToken(
    id: string,
    fn: (token: EnrolmentTokenRecord) => EnrolmentTokenRecord | null,
  ): Promise<EnrolmentTokenRecord | null>;

  /** Creates a job; false when the id exists. */
  createJob(job: JobRecord): Promise<boolean>;
  /** Creates many jobs in few commits (a fleet-wide install); ids are fresh, so none may exist. */
  createJobs(jobs: JobRecord[]): Promise<void>;
  getJob(id: string): Promise<JobRecord | null>;
  /** Newest first. */
  listJobs(filter: JobFilter): Promise<JobRecord[]>;
  /** Jobs of a hive (or of every hive) not yet in a terminal state, oldest first. */
  listOpenJobs(hive?: string): Promise<JobRecord[]>;
  /** Queued jobs whose delivery deadline is before `now`. */
  listDueJobs(now: number): Promise<JobRecord[]>;
  /**
   * Compare-and-set on one job: `fn` sees the current record and returns the next one, or null
   * to refuse. Retried on a concurrent write, so `fn` must be pure. Returns the stored result,
   * or null when refused or missing.
   */
  updateJob(id: string, fn: (job: JobRecord) => JobRecord | null): Promise<JobRecord | null>;

  /**
   * Records that agents accepted jobs, in bulk and without a compare-and-set: acceptance only
   * ever goes from unknown to known, so blind writes batched by the caller are safe. Shown as
   * `accepted_at` on the job.
   */
  recordAccepts(accepts: { job: string; at: number }[]): Promise<void>;

  /** Creates a rollout; false when the id exists. */
  createRollout(rollout: RolloutRecord): Promise<boolean>;
  getRollout(id: string): Promise<RolloutRecord | null>;
  /** Newest first. */
  listRollouts(limit?: number): Promise<RolloutRecord[]>;
  /** Compare-and-set on one rollout, retried on a concurrent write like updateJob; `fn` must be pure. */
  updateRollout(
    id: string,
    fn: (rollout: RolloutRecord) => RolloutRecord | null,
  ): Promise<RolloutRecord | null>;
  /** Jobs of a rollout still held back (`held`), in creation order, at most `limit`. */
  listHeldJobs(rollout: string, limit: number): Promise<JobRecord[]>;

  logHead(job: string): Promise<LogHead>;
  /**
   * Stores a batch of consecutive entries starting at or before the log's next seq; entries
   * already stored are dropped, so a resend is harmless. The batch's text is stored as it is
   * (cut at entry boundaries), never parsed: the caller has validated it. Returns the new head.
   */
  appendLog(job: string, batch: LogBatch): Promise<LogHead>;
  /** The stored log from seq `from`, in the batches it was stored in. */
  readLog(job: string, from: number): AsyncIterable<LogEntry[]>;
  /**
   * The same, as stored JSON text: `text` is a JSON array of the entries `first` to
   * `first + count - 1`, so it can be served as is, without parsing.
   */
  readLogChunks(job: string, from: number): AsyncIterable<LogChunk>;

  /** The package cache (edge/packages): build records by cache key. */
  putPackage(record: PackageRecord): Promise<void>;
  getPackage(key: string): Promise<PackageRecord | null>;
  listPackages(): Promise<PackageRecord[]>;
  /** False when there was none. */
  deletePackage(key: string): Promise<boolean>;
  /** Package files by SHA-256, in chunks of at most 60 KiB (StoreBlobStore cuts them). */
  putBlob(sha256: string, chunks: Uint8Array[]): Promise<void>;
  getBlob(sha256: string): Promise<Uint8Array[] | null>;
  hasBlob(sha256: string): Promise<boolean>;
  deleteBlob(sha256: string): Promise<void>;

  /** Creates a named API token; false when the name is taken. */
  createApiToken(token: ApiTokenRecord): Promise<boolean>;
  getApiTokenByHash(hash: string): Promise<ApiTokenRecord | null>;
  /** Every named token, by name. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Marks a token revoked (it stays listed); null when there is none by that name. */
  revokeApiToken(name: string, at: number): Promise<ApiTokenRecord | null>;

  /** Appends an audit entry; ids sort by time, so entries are never rewritten. */
  appendAudit(entry: AuditRecord): Promise<void>;
  /** Audit entries newest first, filtered, at most `limit` (default 100). */
  listAudit(filter: AuditFilter): Promise<AuditRecord[]>;

  /** Webhooks and their deliveries (edge/webhooks/kv-webhooks.ts). False when the id exists. */
  createWebhook(webhook: WebhookRecord): Promise<boolean>;
  getWebhook(id: string): Promise<WebhookRecord | null>;
  listWebhooks(): Promise<WebhookRecord[]>;
  /** Removes a webhook and its deliveries; false when there was none. */
  deleteWebhook(id: string): Promise<boolean>;
  /** Stores new deliveries (fresh ids) with their due index. */
  addDeliveries(deliveries: DeliveryRecord[]): Promise<void>;
  /** Deliveries whose `due_at` is at or before `now`, soonest first, at most `limit`. */
  listDueDeliveries(now: number, limit: number): Promise<DeliveryRecord[]>;
  /** Compare-and-set on one delivery (its due index moves with it); `fn` must be pure. */
  updateDelivery(
    webhook: string,
    id: string,
    fn: (delivery: DeliveryRecord) => DeliveryRecord | null,
  ): Promise<DeliveryRecord | null>;
  /** Removes up to `limit` of a webhook's finished deliveries made before `before`; how many. */
  pruneDeliveries(webhook: string, before: number, limit: number): Promise<number>;
  /** A webhook's deliveries, newest first, at most `limit`. */
  listDeliveries(webhook: string, limit: number): Promise<DeliveryRecord[]>;

  /** Retention (edge/jobs/kv-retention.ts): jobs created before `before`, oldest first. */
  listJobsCreatedBefore(before: number, after: string | null, limit: number): Promise<JobRecord[]>;
  /** Removes ended jobs with their indexes and logs, many per commit. */
  deleteEndedJobs(jobs: JobRecord[]): Promise<void>;
  /** Removes the stored logs of these jobs (the jobs stay); how many there were. */
  deleteLogs(jobs: string[]): Promise<number>;
  /** Takes or renews a named lease by compare-and-set; true when `owner` holds it until now + ttl. */
  tryLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;

  close(): Promise<void>;
}

/** Thrown by appendLog when the first entry is past the next seq: storing it would leave a hole. */
export class LogGapError extends Error {
  override name = 'LogGapError';
  constructor(
    readonly next: number,
    readonly first: number,
  ) {
    super(`log entries start at seq ${first} but the log needs seq ${next} first`);
  }
}
