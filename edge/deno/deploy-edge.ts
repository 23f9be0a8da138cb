/**
 * The edge as Deno Deploy runs it: Deno KV (`Deno.openKv()`, the managed KV on Deploy) as the
 * store and BroadcastChannel as the bus between isolates. Nothing assumes an isolate lives
 * long: presence is leased in the KV, followers re-read the KV, job changes are compare-and-set.
 */
import { upgradeWebSocket } from 'hono/deno';
import { createEdge } from '../app.ts';
import { ensureAdminToken } from '../auth/admin-token.ts';
import { broadcastTransport } from '../bus/transport.ts';
import { loadCatalog } from '../catalog/catalog.ts';
import { seedEntries } from '../catalog/entries.ts';
import type { EdgeOptions } from '../options.ts';
import type { KvLike } from '../store/kv-like.ts';
import { KvStore } from '../store/kv-store.ts';
import { denoCatalogReader } from './catalog-reader.ts';

export type DeployEdgeOptions = {
  /** A KV file (local runs); undefined opens the default KV (Deploy's managed one). */
  kvPath?: string;
  instanceId: string;
  adminToken?: string;
  options?: Partial<EdgeOptions>;
};

/** Builds one edge instance on Deno KV + BroadcastChannel; serve `edge.app.fetch`. */
export async function createDeployEdge(opts: DeployEdgeOptions) {
  const kv = await Deno.openKv(opts.kvPath);
  const store = new KvStore(kv as unknown as KvLike);
  const generated = await ensureAdminToken(store, opts.adminToken);
  const catalog = await loadCatalog(
    seedEntries,
    denoCatalogReader(new URL('../catalog/workers/', import.meta.url)),
  );
  const edge = createEdge({
    catalog,
    store,
    upgradeWebSocket,
    options: opts.options ?? {},
    cluster: { transport: broadcastTransport(), instanceId: opts.instanceId },
  });
  return {
    edge,
    store,
    generatedAdminToken: generated,
    async close() {
      await edge.close();
      await store.close();
    },
  };
}
