import type { Redis } from 'ioredis';
import type {
  KvAtomic,
  KvEntry,
  KvEntryMaybe,
  KvKey,
  KvLike,
  KvListOptions,
  KvListSelector,
} from './kv-like.ts';
import { decodeKey, encodeKey, PREFIX_END } from './redis-key.ts';
import { StoreUnavailableError } from './store-unavailable.ts';

/**
 * Checks each (key, versionstamp) pair, then applies every set and delete under one new
 * versionstamp. One script, so the commit is atomic and, with appendfsync always, durable
 * before the reply. A stored value is its 20-char versionstamp, a tag byte, then the payload.
 */
const COMMIT = `
local n = tonumber(ARGV[1])
local i = 2
for c = 1, n do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  local have = ''
  if v then have = string.sub(v, 1, 20) end
  if have ~= ARGV[i + 1] then return false end
  i = i + 2
end
local stamp = string.format('%020x', redis.call('INCR', KEYS[3]))
while i <= #ARGV do
  if ARGV[i] == 's' then
    redis.call('HSET', KEYS[1], ARGV[i + 1], stamp .. ARGV[i + 2])
    redis.call('ZADD', KEYS[2], 0, ARGV[i + 1])
    i = i + 3
  else
    redis.call('HDEL', KEYS[1], ARGV[i + 1])
    redis.call('ZREM', KEYS[2], ARGV[i + 1])
    i = i + 2
  end
end
return stamp
`;

const STAMP = 20;
const TAG_BYTES = 0x62; // 'b': the payload is the value's bytes
const TAG_JSON = 0x6a; // 'j': the payload is the value as JSON

type Mutation = { op: 's'; key: string; value: Buffer } | { op: 'd'; key: string };

/**
 * The Deno KV API (the subset in kv-like.ts) on Redis, so `new KvStore(new RedisKv(redis))` is
 * the Redis store engine. Values live in one hash, keys in one sorted set (all members score 0,
 * listed with ZRANGEBYLEX), versionstamps come from one counter. All three share the hash tag
 * `{ns}`, so they sit in one slot on Redis Cluster and the commit script may touch them all.
 * @example const store = new KvStore(new RedisKv(new Redis(url)));
 */
export class RedisKv implements KvLike {
  readonly #data: string;
  readonly #index: string;
  readonly #counter: string;

  constructor(
    private readonly redis: Redis,
    namespace = 'rbee',
  ) {
    this.#data = `{${namespace}}:data`;
    this.#index = `{${namespace}}:keys`;
    this.#counter = `{${namespace}}:stamp`;
    if (!('rbeeCommit' in redis)) {
      redis.defineCommand('rbeeCommit', { numberOfKeys: 3, lua: COMMIT });
    }
  }

  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A script or type error is a bug, not an outage: let it through as it is.
      if (/^(ERR|WRONGTYPE|NOSCRIPT)/.test(message)) throw error;
      throw new StoreUnavailableError(`the Redis store is unreachable (${what}): ${message}`, {
        cause: error,
      });
    }
  }

  async get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>> {
    return (await this.getMany<T>([key]))[0]!;
  }

  async getMany<T = unknown>(keys: KvKey[]): Promise<KvEntryMaybe<T>[]> {
    if (keys.length === 0) return [];
    const fields = keys.map(encodeKey);
    const raw = await this.#run('read', () => this.redis.hmgetBuffer(this.#data, ...fields));
    return keys.map((key, i) => decodeEntry<T>(key, raw[i] ?? null));
  }

  async set(key: KvKey, value: unknown) {
    return this.#commit([], [{ op: 's', key: encodeKey(key), value: encodeValue(value) }]);
  }

  async delete(key: KvKey) {
    await this.#commit([], [{ op: 'd', key: encodeKey(key) }]);
  }

  async #commit(
    checks: { key: string; versionstamp: string | null }[],
    mutations: Mutation[],
  ): Promise<{ ok: boolean; versionstamp?: string }> {
    const args: (string | Buffer)[] = [String(checks.length)];
    for (const c of checks) args.push(c.key, c.versionstamp ?? '');
    for (const m of mutations) {
      if (m.op === 's') args.push('s', m.key, m.value);
      else args.push('d', m.key);
    }
    const stamp = await this.#run('commit', () =>
      (this.redis as unknown as CommitCommand).rbeeCommit(
        this.#data,
        this.#index,
        this.#counter,
        ...args,
      ),
    );
    return stamp === null ? { ok: false } : { ok: true, versionstamp: stamp };
  }

  atomic(): KvAtomic {
    const checks: { key: string; versionstamp: string | null }[] = [];
    const mutations: Mutation[] = [];
    const op: KvAtomic = {
      check: (...list) => {
        for (const c of list) checks.push({ key: encodeKey(c.key), versionstamp: c.versionstamp });
        return op;
      },
      set: (key, value) => {
        mutations.push({ op: 's', key: encodeKey(key), value: encodeValue(value) });
        return op;
      },
      delete: (key) => {
        mutations.push({ op: 'd', key: encodeKey(key) });
        return op;
      },
      commit: () => this.#commit(checks, mutations),
    };
    return op;
  }

  async *list<T = unknown>(
    selector: KvListSelector,
    options: KvListOptions = {},
  ): AsyncIterable<KvEntry<T>> {
    // ZRANGEBYLEX bounds: '[' inclusive, '(' exclusive.
    let min: string;
    let max: string;
    if ('prefix' in selector) {
      const p = encodeKey(selector.prefix);
      min = 'start' in selector ? `[${encodeKey(selector.start)}` : `(${p}`;
      max = 'end' in selector ? `(${encodeKey(selector.end)}` : `(${p}${PREFIX_END}`;
    } else {
      min = `[${encodeKey(selector.start)}`;
      max = `(${encodeKey(selector.end)}`;
    }
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    const batch = Math.max(1, Math.min(options.batchSize ?? 500, 1000));
    while (left > 0) {
      const count = Math.min(batch, left);
      const members = await this.#run('list', () =>
        options.reverse
          ? this.redis.zrevrangebylex(this.#index, max, min, 'LIMIT', 0, count)
          : this.redis.zrangebylex(this.#index, min, max, 'LIMIT', 0, count),
      );
      if (members.length === 0) return;
      const raw = await this.#run('list', () => this.redis.hmgetBuffer(this.#data, ...members));
      for (let i = 0; i < members.length; i++) {
        const entry = decodeEntry<T>(decodeKey(members[i]!), raw[i] ?? null);
        // Deleted between the two reads: it is not there any more.
        if (entry.versionstamp === null) continue;
        yield entry as KvEntry<T>;
        left--;
      }
      if (members.length < count) return;
      const last = members[members.length - 1]!;
      if (options.reverse) max = `(${last}`;
      else min = `(${last}`;
    }
  }

  close() {
    this.redis.disconnect();
  }
}

type CommitCommand = {
  rbeeCommit(...args: (string | Buffer)[]): Promise<string | null>;
};

function encodeValue(value: unknown): Buffer {
  if (value instanceof Uint8Array) {
    const out = Buffer.allocUnsafe(value.length + 1);
    out[0] = TAG_BYTES;
    out.set(value, 1);
    return out;
  }
  return Buffer.concat([Buffer.from([TAG_JSON]), Buffer.from(JSON.stringify(value))]);
}

function decodeEntry<T>(key: KvKey, raw: Buffer | null): KvEntryMaybe<T> {
  if (raw === null) return { key, value: null, versionstamp: null };
  const versionstamp = raw.subarray(0, STAMP).toString('latin1');
  const payload = raw.subarray(STAMP + 1);
  const value =
    raw[STAMP] === TAG_BYTES
      ? new Uint8Array(payload.buffer, payload.byteOffset, payload.length)
      : JSON.parse(payload.toString('utf8'));
  return { key, value: value as T, versionstamp };
}
