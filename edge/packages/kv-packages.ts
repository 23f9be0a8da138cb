import type { PackageRecord } from '../../shared/repo/package-record.ts';
import type { KvKey, KvLike } from '../store/kv-like.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

const K = {
  record: (key: string): KvKey => ['package', key],
  blobHead: (sha: string): KvKey => ['blob_head', sha],
  blobChunk: (sha: string, i: number): KvKey => ['blob', sha, i],
};

/** Writes per commit: Deno KV's limit on an atomic write is ~800 KB. */
const CHUNKS_PER_COMMIT = 10;

/** The package cache's records and blob chunks on the Deno KV API (KvStore delegates here). */
export const kvPackages = {
  async put(kv: KvLike, record: PackageRecord) {
    await kv.set(K.record(record.key), enc.encode(JSON.stringify(record)));
  },

  async get(kv: KvLike, key: string): Promise<PackageRecord | null> {
    const e = await kv.get<Uint8Array>(K.record(key));
    return e.value === null ? null : (JSON.parse(dec.decode(e.value)) as PackageRecord);
  },

  async list(kv: KvLike): Promise<PackageRecord[]> {
    const out: PackageRecord[] = [];
    for await (const e of kv.list<Uint8Array>({ prefix: ['package'] })) {
      out.push(JSON.parse(dec.decode(e.value)) as PackageRecord);
    }
    return out;
  },

  async delete(kv: KvLike, key: string): Promise<boolean> {
    const e = await kv.get(K.record(key));
    if (e.value === null) return false;
    await kv.delete(K.record(key));
    return true;
  },

  /** Chunks first, the head (chunk count) last: a blob without its head does not exist. */
  async putBlob(kv: KvLike, sha: string, chunks: Uint8Array[]) {
    for (let i = 0; i < chunks.length; i += CHUNKS_PER_COMMIT) {
      const op = kv.atomic();
      chunks.slice(i, i + CHUNKS_PER_COMMIT).forEach((c, j) => {
        op.set(K.blobChunk(sha, i + j), c.slice());
      });
      if (!(await op.commit()).ok) throw new Error(`storing blob ${sha} failed`);
    }
    await kv.set(K.blobHead(sha), enc.encode(JSON.stringify(chunks.length)));
  },

  async getBlob(kv: KvLike, sha: string): Promise<Uint8Array[] | null> {
    const head = await kv.get<Uint8Array>(K.blobHead(sha));
    if (head.value === null) return null;
    const count = JSON.parse(dec.decode(head.value)) as number;
    const out: Uint8Array[] = [];
    for await (const e of kv.list<Uint8Array>({ prefix: ['blob', sha] })) {
      if (out.length === count) break;
      out.push(e.value);
    }
    if (out.length !== count) throw new Error(`blob ${sha} has ${out.length} of ${count} chunks`);
    return out;
  },

  async hasBlob(kv: KvLike, sha: string): Promise<boolean> {
    return (await kv.get(K.blobHead(sha))).value !== null;
  },

  async deleteBlob(kv: KvLike, sha: string) {
    await kv.delete(K.blobHead(sha));
    const keys: KvKey[] = [];
    for await (const e of kv.list({ prefix: ['blob', sha] })) keys.push(e.key);
    for (const key of keys) await kv.delete(key);
  },
};
