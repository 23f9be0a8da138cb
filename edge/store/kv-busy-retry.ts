import type { KvAtomic, KvKey, KvLike } from './kv-like.ts';

/** How long a write keeps retrying a locked SQLite file before the error goes to the caller. */
export const KV_BUSY_LIMIT_MS = 10_000;

/** SQLite's SQLITE_BUSY, as Deno (`TypeError`) and `@deno/kv` (`Error`) word it. */
export const isKvBusy = (error: unknown) =>
  error instanceof Error && /database is locked/.test(error.message);

type Op =
  | { t: 'check'; checks: { key: KvKey; versionstamp: string | null }[] }
  | { t: 'set'; key: KvKey; value: unknown }
  | { t: 'delete'; key: KvKey };

/**
 * A KV file opened by two handles (two edge instances on one file, as `deno task deploy-check`
 * runs Deploy's isolates, or Node and Deno on one file) makes SQLite refuse a commit whose read
 * snapshot is older than the other handle's last write: "database is locked" (SQLITE_BUSY),
 * raised at once, not waited out, and not retried by the KV engine for atomic writes. The
 * refused commit wrote nothing (its first write statement is the one refused), so it is made
 * again, after a jittered pause, until `limitMs` has passed. Other engines' errors pass through.
 * @example const kv = retryKvBusy(await Deno.openKv(path)); new KvStore(kv);
 */
export function retryKvBusy(kv: KvLike, limitMs = KV_BUSY_LIMIT_MS): KvLike {
  const again = async <T>(write: () => Promise<T>): Promise<T> => {
    const end = Date.now() + limitMs;
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      try {
        return await write();
      } catch (error) {
        if (!isKvBusy(error) || Date.now() >= end) throw error;
      }
      // Full jitter, so the two handles do not collide again in step.
      await new Promise((r) => setTimeout(r, 1 + Math.random() * pause));
    }
  };
  return {
    get: (key) => kv.get(key),
    getMany: (keys) => kv.getMany(keys),
    list: (selector, options) => kv.list(selector, options),
    set: (key, value) => again(() => kv.set(key, value)),
    delete: (key) => again(() => kv.delete(key)),
    close: () => kv.close(),
    atomic() {
      // The operations are kept, so a refused commit is rebuilt on a fresh atomic.
      const ops: Op[] = [];
      const add = (op: Op) => {
        ops.push(op);
        return atomic;
      };
      const atomic: KvAtomic = {
        check: (...checks) => add({ t: 'check', checks }),
        set: (key, value) => add({ t: 'set', key, value }),
        delete: (key) => add({ t: 'delete', key }),
        commit: () =>
          again(() => {
            const op = kv.atomic();
            for (const o of ops) {
              if (o.t === 'check') op.check(...o.checks);
              else if (o.t === 'set') op.set(o.key, o.value);
              else op.delete(o.key);
            }
            return op.commit();
          }),
      };
      return atomic;
    },
  };
}
