import { chmod, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { openKv } from '@deno/kv';
import type { KvLike } from '../store/kv-like.ts';
import { KvStore } from '../store/kv-store.ts';

/**
 * The embedded store on Node: a Deno KV file (`@deno/kv`, SQLite) under the data dir. The
 * folder is 0700 and the file is made 0600 before SQLite opens it (its WAL and SHM files take
 * the database file's mode), so no other user (a build) reads other jobs' logs.
 */
export async function openNodeStore(dataDir: string): Promise<KvStore> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const path = join(dataDir, 'edge.kv');
  await (await open(path, 'a', 0o600)).close();
  await chmod(path, 0o600);
  const kv = await openKv(path);
  return new KvStore(kv as unknown as KvLike);
}
