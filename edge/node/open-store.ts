import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openKv } from '@deno/kv';
import type { KvLike } from '../store/kv-like.ts';
import { KvStore } from '../store/kv-store.ts';

/** The embedded store on Node: a Deno KV file (`@deno/kv`, SQLite) under the data dir. */
export async function openNodeStore(dataDir: string): Promise<KvStore> {
  await mkdir(dataDir, { recursive: true });
  const kv = await openKv(join(dataDir, 'edge.kv'));
  return new KvStore(kv as unknown as KvLike);
}
