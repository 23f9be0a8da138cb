/**
 * The subset of the Deno KV API the store uses. `Deno.openKv` (Deno, Deno Deploy) and
 * `openKv` from `@deno/kv` (Node) both provide it, so one store implementation serves both.
 */
export type KvKeyPart = string | number | bigint | boolean | Uint8Array;
export type KvKey = readonly KvKeyPart[];

export type KvEntryMaybe<T> = { key: KvKey; value: T | null; versionstamp: string | null };
export type KvEntry<T> = { key: KvKey; value: T; versionstamp: string };

export type KvListSelector =
  | { prefix: KvKey }
  | { prefix: KvKey; start: KvKey }
  | { prefix: KvKey; end: KvKey }
  | { start: KvKey; end: KvKey };

export type KvListOptions = { limit?: number; reverse?: boolean; batchSize?: number };

export interface KvAtomic {
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  set(key: KvKey, value: unknown): KvAtomic;
  delete(key: KvKey): KvAtomic;
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

export interface KvLike {
  get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>>;
  /** At most 10 keys per call (Deno's limit). */
  getMany<T = unknown>(keys: KvKey[]): Promise<KvEntryMaybe<T>[]>;
  set(key: KvKey, value: unknown): Promise<unknown>;
  delete(key: KvKey): Promise<void>;
  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): AsyncIterable<KvEntry<T>>;
  atomic(): KvAtomic;
  close(): void;
}
