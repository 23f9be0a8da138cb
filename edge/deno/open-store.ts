import type { KvLike } from '../store/kv-like.ts';
import { KvStore } from '../store/kv-store.ts';

/** The embedded store on Deno: `Deno.openKv` on a file under the data dir (managed KV on Deploy). */
export async function openDenoStore(dataDir: string | null): Promise<KvStore> {
  if (dataDir === null) return new KvStore((await Deno.openKv()) as unknown as KvLike);
  await Deno.mkdir(dataDir, { recursive: true });
  const kv = await Deno.openKv(`${dataDir.replace(/\/$/, '')}/edge.kv`);
  return new KvStore(kv as unknown as KvLike);
}
