import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvStore } from '../../edge/store/kv-store.ts';
import { openRedisStore } from '../../edge/store/open-redis-store.ts';
import { decodeKey, encodeKey } from '../../edge/store/redis-key.ts';
import { RedisKv } from '../../edge/store/redis-kv.ts';
import { StoreUnavailableError } from '../../edge/store/store-unavailable.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { job, storeContract } from './store-contract.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
}, 30_000);
afterAll(async () => {
  await server?.stop();
});

/** Each test on its own database, so the contract's cases do not see each other. */
let db = 0;
async function freshStore(): Promise<KvStore> {
  db = (db + 1) % 16;
  const redis = new Redis(`${server.url}/${db}`);
  await redis.flushdb();
  redis.disconnect();
  return openRedisStore(`${server.url}/${db}`);
}

describe('KvStore on Redis (RedisKv)', () => {
  for (const [name, run] of storeContract) {
    it(name, async () => {
      const store = await freshStore();
      try {
        await run(store);
      } finally {
        await store.close();
      }
    });
  }

  it('encodes keys so that byte order is Deno KV order', () => {
    const keys = [
      ['a'],
      ['a', ''],
      ['a', 'b'],
      ['a', 'b\x00'],
      ['a', 'b\x01'],
      ['a', 'bb'],
      ['a', 'é'],
      ['a', -1e9],
      ['a', -1],
      ['a', 0],
      ['a', 0.5],
      ['a', 1],
      ['a', 1, 0],
      ['a', 2],
      ['a', 1e15],
      ['ab'],
    ];
    const enc = keys.map((k) => Buffer.from(encodeKey(k)));
    for (let i = 1; i < enc.length; i++) expect(Buffer.compare(enc[i - 1]!, enc[i]!)).toBe(-1);
    for (const k of keys) expect(decodeKey(encodeKey(k))).toEqual(k);
  });

  it('keeps what was committed across kill -9 of redis-server (appendfsync always)', async () => {
    const store = await freshStore();
    await store.createJob(job('job_00000001'));
    await server.kill();
    await expect(store.getJob('job_00000001')).rejects.toBeInstanceOf(StoreUnavailableError);
    await server.restart();
    // ioredis reconnects by itself; the first calls after the restart may still fail.
    let state: string | undefined;
    for (let i = 0; i < 200 && state === undefined; i++) {
      state = await store.getJob('job_00000001').then(
        (j) => j?.state,
        () => new Promise<undefined>((r) => setTimeout(r, 50)),
      );
    }
    expect(state).toBe('queued');
    await store.close();
  }, 60_000);

  it('refuses a Redis that does not fsync every write, naming the rule', async () => {
    const weak = await startRedisServer({ durable: false });
    try {
      await expect(openRedisStore(weak.url)).rejects.toThrow(/appendfsync always/);
      const warnings: string[] = [];
      const store = await openRedisStore(weak.url, {
        relaxedDurability: true,
        warn: (m) => warnings.push(m),
      });
      expect(warnings[0]).toMatch(/appendfsync everysec/);
      await store.close();
    } finally {
      await weak.stop();
    }
  }, 30_000);

  it('refuses to start when Redis is unreachable, naming the URL', async () => {
    await expect(
      openRedisStore('redis://user:secret@127.0.0.1:1/0', { connectTimeoutMs: 1000 }),
    ).rejects.toThrow(/cannot reach the Redis store at redis:\/\/user:\*\*\*@127\.0\.0\.1:1\/0/);
  });

  it('lists in reverse with a limit across batches', async () => {
    const redis = new Redis(`${server.url}/15`);
    await redis.flushdb();
    const kv = new RedisKv(redis);
    for (let i = 0; i < 25; i++) await kv.set(['n', i], i);
    await kv.set(['m'], 0);
    await kv.set(['n'], 'the prefix itself is not listed');
    const seen: number[] = [];
    for await (const e of kv.list<number>(
      { prefix: ['n'] },
      { reverse: true, limit: 12, batchSize: 5 },
    ))
      seen.push(e.value);
    expect(seen).toEqual([24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13]);
    const range: number[] = [];
    for await (const e of kv.list<number>({ start: ['n', 3], end: ['n', 6] })) range.push(e.value);
    expect(range).toEqual([3, 4, 5]);
    kv.close();
  });
});
