import { Redis } from 'ioredis';
import { KvStore } from './kv-store.ts';
import { RedisKv } from './redis-kv.ts';

/** Refused at start: Redis cannot be reached, or it does not keep what the edge acks. */
export class RedisStoreError extends Error {
  override name = 'RedisStoreError';
}

export type RedisStoreOptions = {
  /** Start even when Redis does not fsync every write (acked log lines may be lost). */
  relaxedDurability?: boolean;
  /** How long to wait for the first connection. */
  connectTimeoutMs?: number;
  warn?: (message: string) => void;
};

/** Hides the password of a redis:// URL for messages. */
export const redactRedisUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/**
 * The durability rule: an ack to the agent means its lines survive a crash of Redis itself, so
 * Redis must log every write to the append-only file and fsync it before replying.
 */
export const DURABILITY_RULE =
  'the Redis store needs appendonly yes and appendfsync always (an ack must survive a crash of Redis)';

/**
 * Connects to Redis, checks the durability settings and returns the store engine on it.
 * While running, a lost connection fails calls fast (StoreUnavailableError → 503) and
 * ioredis reconnects by itself, every 200 ms to 2 s.
 * @example const store = await openRedisStore('redis://127.0.0.1:6379/0');
 */
export async function openRedisStore(url: string, opts: RedisStoreOptions = {}) {
  const shown = redactRedisUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    commandTimeout: 10_000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
  // Reconnect errors are expected while Redis is down; calls report them as 503s.
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new RedisStoreError(
      `cannot reach the Redis store at ${shown}: ${(error as Error).message}`,
    );
  }
  let settings: string;
  try {
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    const [, fsync] = (await redis.config('GET', 'appendfsync')) as string[];
    settings = `appendonly ${appendonly}, appendfsync ${fsync}`;
    if (appendonly === 'yes' && fsync === 'always') settings = '';
  } catch (error) {
    settings = `CONFIG GET refused (${(error as Error).message})`;
  }
  if (settings) {
    const message = `${DURABILITY_RULE}; ${shown} has ${settings}`;
    if (!opts.relaxedDurability) {
      redis.disconnect();
      throw new RedisStoreError(`${message} (pass --store-durability relaxed to start anyway)`);
    }
    (opts.warn ?? console.warn)(
      `warning: ${message}; starting anyway (--store-durability relaxed)`,
    );
  }
  return new KvStore(new RedisKv(redis));
}
