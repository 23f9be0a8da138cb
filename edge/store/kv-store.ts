import { ENTRY_BOUNDARY, type LogBatch, sliceBatch } from '../../shared/protocol/log-batch.ts';
import type { LogEntry } from '../../shared/protocol/log-entry.ts';
import type { PackageRecord } from '../../shared/repo/package-record.ts';
import { diffJobIndexKeys, jobIndexKeys } from '../jobs/job-indexes.ts';
import { kvRetention } from '../jobs/kv-retention.ts';
import { kvPackages } from '../packages/kv-packages.ts';
import { kvWebhooks } from '../webhooks/kv-webhooks.ts';
import { retryKvBusy } from './kv-busy-retry.ts';
import type { KvEntryMaybe, KvKey, KvLike } from './kv-like.ts';
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
import { type LogChunk, LogGapError, type LogHead, type Store } from './store.ts';

/** Deno KV caps a value at 64 KiB and an atomic write at ~800 KB; stay under both. */
const CHUNK_BYTES = 60 * 1024;
const CHUNKS_PER_COMMIT = 10;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Values are JSON bytes: Node's and Deno's KV builds cannot read each other's V8 encoding. */
const pack = (value: unknown): Uint8Array => enc.encode(JSON.stringify(value));
const unpack = <T>(entry: KvEntryMaybe<Uint8Array>): T | null =>
  entry.value === null ? null : (JSON.parse(dec.decode(entry.value)) as T);

/** The value of an index key: the key is the data. */
const INDEXED = pack(1);

const K = {
  meta: (key: string): KvKey => ['meta', key],
  hive: (id: string): KvKey => ['hive', id],
  hiveName: (name: string): KvKey => ['hive_name', name],
  hiveToken: (hash: string): KvKey => ['hive_token', hash],
  hiveMachine: (machine: string): KvKey => ['hive_machine', machine],
  enrolment: (id: string): KvKey => ['enrolment', id],
  enrolmentHash: (hash: string): KvKey => ['enrolment_hash', hash],
  job: (id: string): KvKey => ['job', id],
  accepted: (id: string): KvKey => ['accepted', id],
  // The per-state job indexes (job_by_hive, open, due, held) come from jobIndexKeys.
  logHead: (job: string): KvKey => ['log_head', job],
  rollout: (id: string): KvKey => ['rollout', id],
  logChunk: (job: string, first: number): KvKey => ['log', job, first],
  apiToken: (name: string): KvKey => ['api_token', name],
  apiTokenHash: (hash: string): KvKey => ['api_token_hash', hash],
  // Keyed by time first, so a reverse list is newest first and `since` is a range start.
  audit: (at: number, id: string): KvKey => ['audit', at, id],
};

/**
 * The Store on the Deno KV API. Logs are kept in chunks of ≤ 60 KiB keyed by their first seq,
 * and the head (next seq) moves in the same atomic commit as the chunks it covers.
 * @example const store = new KvStore(await openKv('.rbee/edge.kv'));
 */
export class KvStore implements Store {
  private readonly kv: KvLike;

  /** Writes refused by a locked SQLite file are made again (kv-busy-retry.ts). */
  constructor(kv: KvLike) {
    this.kv = retryKvBusy(kv);
  }

  async getMeta(key: string) {
    return unpack<string>(await this.kv.get<Uint8Array>(K.meta(key)));
  }

  async setMeta(key: string, value: string) {
    await this.kv.set(K.meta(key), pack(value));
  }

  async deleteMeta(key: string) {
    await this.kv.delete(K.meta(key));
  }

  async listMeta(prefix: string, after: string | null, limit: number) {
    const out: { key: string; value: string }[] = [];
    // The keys starting with `prefix` sort between it and the prefix with its last char + 1.
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    for await (const e of this.kv.list<Uint8Array>(
      { start: K.meta(after ?? prefix), end: K.meta(end) },
      { limit: limit + 1 },
    )) {
      const key = e.key[1] as string;
      if (key === after || !key.startsWith(prefix)) continue;
      out.push({ key, value: JSON.parse(dec.decode(e.value)) as string });
      if (out.length >= limit) break;
    }
    return out;
  }

  async deleteMetas(keys: string[]) {
    for (let i = 0; i < keys.length; i += 200) {
      const op = this.kv.atomic();
      for (const key of keys.slice(i, i + 200)) op.delete(K.meta(key));
      await op.commit();
    }
  }

  async createHive(hive: HiveRecord) {
    const op = this.kv
      .atomic()
      .check({ key: K.hive(hive.id), versionstamp: null })
      .check({ key: K.hiveName(hive.name), versionstamp: null })
      .set(K.hive(hive.id), pack(hive))
      .set(K.hiveName(hive.name), pack(hive.id))
      .set(K.hiveToken(hive.token_hash), pack(hive.id));
    if (hive.machine !== undefined) {
      op.check({ key: K.hiveMachine(hive.machine), versionstamp: null });
      op.set(K.hiveMachine(hive.machine), pack(hive.id));
    }
    return (await op.commit()).ok;
  }

  async getHiveByMachine(machine: string) {
    const id = unpack<string>(await this.kv.get<Uint8Array>(K.hiveMachine(machine)));
    return id === null ? null : this.getHive(id);
  }

  async replaceHiveToken(id: string, tokenHash: string): Promise<HiveRecord | null> {
    for (;;) {
      const entry = await this.kv.get<Uint8Array>(K.hive(id));
      const current = unpack<HiveRecord>(entry);
      if (!current) return null;
      const next = { ...current, token_hash: tokenHash };
      const res = await this.kv
        .atomic()
        .check(entry)
        .delete(K.hiveToken(current.token_hash))
        .set(K.hiveToken(tokenHash), pack(id))
        .set(K.hive(id), pack(next))
        .commit();
      if (res.ok) return next;
    }
  }

  async createEnrolmentToken(token: EnrolmentTokenRecord) {
    const res = await this.kv
      .atomic()
      .check({ key: K.enrolment(token.id), versionstamp: null })
      .check({ key: K.enrolmentHash(token.token_hash), versionstamp: null })
      .set(K.enrolment(token.id), pack(token))
      .set(K.enrolmentHash(token.token_hash), pack(token.id))
      .commit();
    return res.ok;
  }

  async getEnrolmentToken(id: string) {
    return unpack<EnrolmentTokenRecord>(await this.kv.get<Uint8Array>(K.enrolment(id)));
  }

  async getEnrolmentTokenByHash(hash: string) {
    const id = unpack<string>(await this.kv.get<Uint8Array>(K.enrolmentHash(hash)));
    return id === null ? null : this.getEnrolmentToken(id);
  }

  async listEnrolmentTokens() {
    const out: EnrolmentTokenRecord[] = [];
    for await (const e of this.kv.list<Uint8Array>({ prefix: ['enrolment'] })) {
      out.push(JSON.parse(dec.decode(e.value)) as EnrolmentTokenRecord);
    }
    return out.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  }

  async updateEnrolmentToken(
    id: string,
    fn: (token: EnrolmentTokenRecord) => EnrolmentTokenRecord | null,
  ) {
    for (;;) {
      const entry = await this.kv.get<Uint8Array>(K.enrolment(id));
      const current = unpack<EnrolmentTokenRecord>(entry);
      if (!current) return null;
      const next = fn(current);
      if (!next) return null;
      const res = await this.kv.atomic().check(entry).set(K.enrolment(id), pack(next)).commit();
      if (res.ok) return next;
    }
  }

  async getHive(id: string) {
    return unpack<HiveRecord>(await this.kv.get<Uint8Array>(K.hive(id)));
  }

  async getHiveByName(name: string) {
    const id = unpack<string>(await this.kv.get<Uint8Array>(K.hiveName(name)));
    return id === null ? null : this.getHive(id);
  }

  async getHiveByTokenHash(hash: string) {
    const id = unpack<string>(await this.kv.get<Uint8Array>(K.hiveToken(hash)));
    return id === null ? null : this.getHive(id);
  }

  async listHives() {
    const hives: HiveRecord[] = [];
    for await (const e of this.kv.list<Uint8Array>({ prefix: ['hive'] })) {
      hives.push(JSON.parse(dec.decode(e.value)) as HiveRecord);
    }
    return hives;
  }

  async updateHive(id: string, fn: (hive: HiveRecord) => HiveRecord | null) {
    for (;;) {
      const entry = await this.kv.get<Uint8Array>(K.hive(id));
      const current = unpack<HiveRecord>(entry);
      if (!current) return null;
      const next = fn(current);
      if (!next) return null;
      const op = this.kv.atomic().check(entry).set(K.hive(id), pack(next));
      // A rotated token: the old one stops resolving in the same commit.
      if (next.token_hash !== current.token_hash)
        op.delete(K.hiveToken(current.token_hash)).set(K.hiveToken(next.token_hash), pack(id));
      const res = await op.commit();
      if (res.ok) return next;
    }
  }

  async deleteHive(id: string): Promise<boolean> {
    const entry = await this.kv.get<Uint8Array>(K.hive(id));
    const hive = unpack<HiveRecord>(entry);
    if (!hive) return false;
    const op = this.kv
      .atomic()
      .check(entry)
      .delete(K.hive(id))
      .delete(K.hiveName(hive.name))
      .delete(K.hiveToken(hive.token_hash));
    if (hive.machine !== undefined) op.delete(K.hiveMachine(hive.machine));
    const res = await op.commit();
    return res.ok || this.deleteHive(id);
  }

  async createJob(job: JobRecord) {
    const op = this.kv
      .atomic()
      .check({ key: K.job(job.id), versionstamp: null })
      .set(K.job(job.id), pack(job));
    for (const key of jobIndexKeys(job)) op.set(key, INDEXED);
    return (await op.commit()).ok;
  }

  async createJobs(jobs: JobRecord[]) {
    // 200 jobs (800 mutations, ~200 KB) per commit. No existence checks: the KV on Node
    // allows 10 per commit, and fresh ids carry 70 random bits, so they cannot collide.
    for (let i = 0; i < jobs.length; i += 200) {
      const op = this.kv.atomic();
      for (const job of jobs.slice(i, i + 200)) {
        op.set(K.job(job.id), pack(job));
        for (const key of jobIndexKeys(job)) op.set(key, INDEXED);
      }
      if (!(await op.commit()).ok) throw new Error('createJobs: a job id already exists');
    }
  }

  async getJob(id: string) {
    const [job, accepted] = await this.kv.getMany<Uint8Array>([K.job(id), K.accepted(id)]);
    const record = unpack<JobRecord>(job!);
    if (record && record.accepted_at === null) record.accepted_at = unpack<number>(accepted!);
    return record;
  }

  /** Fills accepted_at from the separately written acceptance keys, 10 jobs per read. */
  async #withAccepts(jobs: JobRecord[]): Promise<JobRecord[]> {
    for (let i = 0; i < jobs.length; i += 10) {
      const slice = jobs.slice(i, i + 10);
      const accepted = await this.kv.getMany<Uint8Array>(slice.map((j) => K.accepted(j.id)));
      slice.forEach((j, k) => {
        if (j.accepted_at === null) j.accepted_at = unpack<number>(accepted[k]!);
      });
    }
    return jobs;
  }

  async recordAccepts(accepts: { job: string; at: number }[]) {
    for (let i = 0; i < accepts.length; i += 500) {
      const op = this.kv.atomic();
      for (const a of accepts.slice(i, i + 500)) op.set(K.accepted(a.job), pack(a.at));
      await op.commit();
    }
  }

  async listJobs(filter: JobFilter) {
    const limit = filter.limit ?? 100;
    const jobs: JobRecord[] = [];
    // Job ids start with their creation time, so key order is creation order.
    if (filter.hive !== undefined) {
      for await (const e of this.kv.list(
        { prefix: ['job_by_hive', filter.hive] },
        { reverse: true },
      )) {
        const job = await this.getJob(e.key[2] as string);
        if (job && (!filter.state || job.state === filter.state)) jobs.push(job);
        if (jobs.length >= limit) break;
      }
      return jobs;
    }
    for await (const e of this.kv.list<Uint8Array>({ prefix: ['job'] }, { reverse: true })) {
      const job = JSON.parse(dec.decode(e.value)) as JobRecord;
      if (!filter.state || job.state === filter.state) jobs.push(job);
      if (jobs.length >= limit) break;
    }
    return this.#withAccepts(jobs);
  }

  async listOpenJobs(hive?: string) {
    const jobs: JobRecord[] = [];
    const prefix = hive === undefined ? ['open'] : ['open', hive];
    for await (const e of this.kv.list({ prefix })) {
      const job = await this.getJob(e.key[2] as string);
      if (job) jobs.push(job);
    }
    return jobs.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async listDueJobs(now: number) {
    const jobs: JobRecord[] = [];
    for await (const e of this.kv.list({ prefix: ['due'], end: ['due', now] })) {
      const job = await this.getJob(e.key[2] as string);
      if (job?.state === 'queued') jobs.push(job);
    }
    return jobs;
  }

  async updateJob(id: string, fn: (job: JobRecord) => JobRecord | null) {
    for (;;) {
      const entry = await this.kv.get<Uint8Array>(K.job(id));
      const current = unpack<JobRecord>(entry);
      if (!current) return null;
      const next = fn(current);
      if (!next) return null;
      const op = this.kv.atomic().check(entry).set(K.job(id), pack(next));
      const { remove, add } = diffJobIndexKeys(current, next);
      for (const key of remove) op.delete(key);
      for (const key of add) op.set(key, INDEXED);
      if ((await op.commit()).ok) return next;
    }
  }

  async createRollout(rollout: RolloutRecord) {
    const res = await this.kv
      .atomic()
      .check({ key: K.rollout(rollout.id), versionstamp: null })
      .set(K.rollout(rollout.id), pack(rollout))
      .commit();
    return res.ok;
  }

  async getRollout(id: string) {
    return unpack<RolloutRecord>(await this.kv.get<Uint8Array>(K.rollout(id)));
  }

  async listRollouts(limit = 100) {
    const out: RolloutRecord[] = [];
    for await (const e of this.kv.list<Uint8Array>(
      { prefix: ['rollout'] },
      { reverse: true, limit },
    )) {
      out.push(JSON.parse(dec.decode(e.value)) as RolloutRecord);
    }
    return out;
  }

  async updateRollout(id: string, fn: (rollout: RolloutRecord) => RolloutRecord | null) {
    for (;;) {
      const entry = await this.kv.get<Uint8Array>(K.rollout(id));
      const current = unpack<RolloutRecord>(entry);
      if (!current) return null;
      const next = fn(current);
      if (!next) return null;
      const res = await this.kv.atomic().check(entry).set(K.rollout(id), pack(next)).commit();
      if (res.ok) return next;
    }
  }

  async listHeldJobs(rollout: string, limit: number) {
    const jobs: JobRecord[] = [];
    for await (const e of this.kv.list({ prefix: ['held', rollout] }, { limit })) {
      const job = await this.getJob(e.key[2] as string);
      if (job?.held && job.state === 'queued') jobs.push(job);
    }
    return jobs;
  }

  async logHead(job: string): Promise<LogHead> {
    return unpack<LogHead>(await this.kv.get<Uint8Array>(K.logHead(job))) ?? { next: 0, bytes: 0 };
  }

  /** The log head this instance last wrote, with the versionstamp to compare-and-set on. */
  readonly #heads = new Map<string, { head: LogHead; versionstamp: string | null }>();

  async #readHead(job: string) {
    const entry = await this.kv.get<Uint8Array>(K.logHead(job));
    return {
      head: unpack<LogHead>(entry) ?? { next: 0, bytes: 0 },
      versionstamp: entry.versionstamp,
    };
  }

  async appendLog(job: string, batch: LogBatch): Promise<LogHead> {
    // The head is written only by appends, so the cached one is right unless another writer
    // (another edge instance, a replaced session) moved it; the compare-and-set tells.
    let current = this.#heads.get(job) ?? (await this.#readHead(job));
    for (;;) {
      const first = batch.count > 0 ? batch.first : current.head.next;
      if (first > current.head.next) {
        const stored = await this.#readHead(job);
        if (stored.versionstamp === current.versionstamp)
          throw new LogGapError(stored.head.next, first);
        current = stored;
        continue;
      }
      if (first + batch.count <= current.head.next) return current.head;
      const chunks = chunkBatch(sliceBatch(batch, current.head.next));
      let conflict = false;
      for (let i = 0; i < chunks.length && !conflict; i += CHUNKS_PER_COMMIT) {
        const group = chunks.slice(i, i + CHUNKS_PER_COMMIT);
        let bytes = current.head.bytes;
        const op = this.kv
          .atomic()
          .check({ key: K.logHead(job), versionstamp: current.versionstamp });
        for (const chunk of group) {
          // A single entry can be larger than a KV value: its bytes continue under
          // [..., first, 1], [..., first, 2], keys that sort right after the chunk's own.
          for (let part = 0; part * CHUNK_BYTES < chunk.bytes.length; part++) {
            const key =
              part === 0 ? K.logChunk(job, chunk.first) : [...K.logChunk(job, chunk.first), part];
            op.set(key, chunk.bytes.subarray(part * CHUNK_BYTES, (part + 1) * CHUNK_BYTES));
          }
          bytes += chunk.bytes.length;
        }
        const last = group[group.length - 1]!;
        const head: LogHead = { next: last.first + last.count, bytes };
        op.set(K.logHead(job), pack(head));
        const result = await op.commit();
        if (result.ok) current = { head, versionstamp: result.versionstamp ?? null };
        else conflict = true;
      }
      if (!conflict) {
        if (this.#heads.size > 10_000) this.#heads.clear();
        this.#heads.set(job, current);
        return current.head;
      }
      // Another writer moved the head: go on from what is stored now.
      current = await this.#readHead(job);
    }
  }

  async *readLogChunks(job: string, from: number): AsyncIterable<LogChunk> {
    // The chunk holding `from` starts at or before it: find the last such chunk first.
    let start = from;
    for await (const e of this.kv.list(
      { prefix: ['log', job], end: K.logChunk(job, from + 1) },
      { reverse: true, limit: 1 },
    )) {
      start = e.key[2] as number;
    }
    let pending: Uint8Array[] = [];
    let first = start;
    const decode = (): LogChunk => {
      const text = dec.decode(pending.length === 1 ? pending[0]! : concat(pending));
      pending = [];
      const chunk = { first, count: lastSeq(text) - first + 1, text };
      if (first >= from) return chunk;
      // Only the first chunk can start before `from`: cut it there.
      return chunk.count > from - first
        ? sliceBatch(chunk, from)
        : { first: from, count: 0, text: '[]' };
    };
    for await (const e of this.kv.list<Uint8Array>({
      prefix: ['log', job],
      start: K.logChunk(job, start),
    })) {
      if (e.key.length === 3) {
        if (pending.length > 0) {
          const chunk = decode();
          if (chunk.count > 0) yield chunk;
        }
        first = e.key[2] as number;
      }
      pending.push(e.value);
    }
    if (pending.length > 0) {
      const chunk = decode();
      if (chunk.count > 0) yield chunk;
    }
  }

  async *readLog(job: string, from: number): AsyncIterable<LogEntry[]> {
    for await (const chunk of this.readLogChunks(job, from))
      yield JSON.parse(chunk.text) as LogEntry[];
  }

  putPackage(record: PackageRecord) {
    return kvPackages.put(this.kv, record);
  }
  getPackage(key: string) {
    return kvPackages.get(this.kv, key);
  }
  listPackages() {
    return kvPackages.list(this.kv);
  }
  deletePackage(key: string) {
    return kvPackages.delete(this.kv, key);
  }
  putBlob(sha256: string, chunks: Uint8Array[]) {
    return kvPackages.putBlob(this.kv, sha256, chunks);
  }
  getBlob(sha256: string) {
    return kvPackages.getBlob(this.kv, sha256);
  }
  hasBlob(sha256: string) {
    return kvPackages.hasBlob(this.kv, sha256);
  }
  deleteBlob(sha256: string) {
    return kvPackages.deleteBlob(this.kv, sha256);
  }

  async createApiToken(token: ApiTokenRecord) {
    const res = await this.kv
      .atomic()
      .check({ key: K.apiToken(token.name), versionstamp: null })
      .set(K.apiToken(token.name), pack(token))
      .set(K.apiTokenHash(token.token_hash), pack(token.name))
      .commit();
    return res.ok;
  }

  async getApiTokenByHash(hash: string) {
    const name = unpack<string>(await this.kv.get<Uint8Array>(K.apiTokenHash(hash)));
    if (name === null) return null;
    const token = unpack<ApiTokenRecord>(await this.kv.get<Uint8Array>(K.apiToken(name)));
    return token?.token_hash === hash ? token : null;
  }

  async listApiTokens() {
    const tokens: ApiTokenRecord[] = [];
    for await (const e of this.kv.list<Uint8Array>({ prefix: ['api_token'] })) {
      tokens.push(JSON.parse(dec.decode(e.value)) as ApiTokenRecord);
    }
    return tokens;
  }

  async revokeApiToken(name: string, at: number) {
    for (;;) {
      const entry = await this.kv.get<Uint8Array>(K.apiToken(name));
      const current = unpack<ApiTokenRecord>(entry);
      if (!current) return null;
      if (current.revoked_at !== null) return current;
      const next = { ...current, revoked_at: at };
      const res = await this.kv
        .atomic()
        .check(entry)
        .set(K.apiToken(name), pack(next))
        .delete(K.apiTokenHash(current.token_hash))
        .commit();
      if (res.ok) return next;
    }
  }

  async appendAudit(entry: AuditRecord) {
    await this.kv.set(K.audit(entry.at, entry.id), pack(entry));
  }

  async listAudit(filter: AuditFilter) {
    const limit = filter.limit ?? 100;
    const out: AuditRecord[] = [];
    const selector =
      filter.since === undefined
        ? { prefix: ['audit'] }
        : { prefix: ['audit'], start: ['audit', filter.since] };
    for await (const e of this.kv.list<Uint8Array>(selector, { reverse: true })) {
      const entry = JSON.parse(dec.decode(e.value)) as AuditRecord;
      if (filter.actor !== undefined && entry.actor !== filter.actor) continue;
      if (filter.action !== undefined && entry.action !== filter.action) continue;
      out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  }

  createWebhook(webhook: WebhookRecord) {
    return kvWebhooks.create(this.kv, webhook);
  }
  getWebhook(id: string) {
    return kvWebhooks.get(this.kv, id);
  }
  listWebhooks() {
    return kvWebhooks.list(this.kv);
  }
  deleteWebhook(id: string) {
    return kvWebhooks.delete(this.kv, id);
  }
  addDeliveries(deliveries: DeliveryRecord[]) {
    return kvWebhooks.add(this.kv, deliveries);
  }
  listDueDeliveries(now: number, limit: number) {
    return kvWebhooks.listDue(this.kv, now, limit);
  }
  updateDelivery(
    webhook: string,
    id: string,
    fn: (delivery: DeliveryRecord) => DeliveryRecord | null,
  ) {
    return kvWebhooks.update(this.kv, webhook, id, fn);
  }
  pruneDeliveries(webhook: string, before: number, limit: number) {
    return kvWebhooks.pruneDeliveries(this.kv, webhook, before, limit);
  }
  listDeliveries(webhook: string, limit: number) {
    return kvWebhooks.listDeliveries(this.kv, webhook, limit);
  }

  listJobsCreatedBefore(before: number, after: string | null, limit: number) {
    return kvRetention.listJobsCreatedBefore(this.kv, before, after, limit);
  }
  deleteEndedJobs(jobs: JobRecord[]) {
    for (const job of jobs) this.#heads.delete(job.id);
    return kvRetention.deleteEndedJobs(this.kv, jobs);
  }
  deleteLogs(jobs: string[]) {
    for (const job of jobs) this.#heads.delete(job);
    return kvRetention.deleteLogs(this.kv, jobs);
  }
  tryLease(name: string, owner: string, now: number, ttlMs: number) {
    return kvRetention.tryLease(this.kv, name, owner, now, ttlMs);
  }

  async close() {
    this.kv.close();
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

type Chunk = { first: number; count: number; bytes: Uint8Array };

/** The seq of the last entry of a chunk's JSON text (entries are written with `s` first). */
function lastSeq(text: string): number {
  const at = text.lastIndexOf('{"s":');
  return Number.parseInt(text.slice(at + 5, at + 25), 10);
}

/**
 * Cuts a batch's text into JSON arrays of at most CHUNK_BYTES each (one huge entry may exceed
 * it), at entry boundaries, without parsing it.
 */
function chunkBatch(batch: LogBatch): Chunk[] {
  const { text } = batch;
  // Cut by characters; a character of non-ASCII text may take up to three bytes.
  const limit = NON_ASCII.test(text) ? Math.floor(CHUNK_BYTES / 3) : CHUNK_BYTES;
  const chunks: Chunk[] = [];
  let start = 1; // just after '['
  let first = batch.first;
  const end = text.length - 1; // the closing ']'
  while (start < end) {
    let cut = end;
    if (end - start > limit) {
      const back = text.lastIndexOf(ENTRY_BOUNDARY, start + limit);
      cut = back > start ? back + 1 : text.indexOf(ENTRY_BOUNDARY, start + 1) + 1 || end;
    }
    const body = text.slice(start, cut);
    const next =
      cut < end ? Number.parseInt(text.slice(cut + 6, cut + 26), 10) : batch.first + batch.count;
    chunks.push({ first, count: next - first, bytes: enc.encode(`[${body}]`) });
    first = next;
    start = cut + 1;
  }
  return chunks;
}
