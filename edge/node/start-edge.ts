import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { createEdge, type Edge } from '../app.ts';
import { ensureAdminToken } from '../auth/admin-token.ts';
import { redisTransport } from '../bus/redis-transport.ts';
import { loadCatalog } from '../catalog/catalog.ts';
import { seedEntries } from '../catalog/entries.ts';
import type { EdgeConfig } from '../config.ts';
import { defaultEdgeOptions } from '../options.ts';
import { openRedisStore } from '../store/open-redis-store.ts';
import type { Store } from '../store/store.ts';
import { nodeAgentFiles } from './agent-files.ts';
import { handleAgentUpgrades, wsPayloadCap } from './agent-upgrade.ts';
import { catalogRoot, fsCatalogReader } from './catalog-reader.ts';
import { FolderBlobStore } from './folder-blob-store.ts';
import { openNodeStore } from './open-store.ts';
import { tlsServerOptions } from './tls.ts';

export type RunningEdge = {
  url: string;
  port: number;
  edge: Edge;
  store: Store;
  /** The admin token when this start generated it (first start without RBEE_ADMIN_TOKEN). */
  adminToken: string | null;
  close(): Promise<void>;
};

/**
 * Starts the edge on Node and resolves once it listens.
 * @example const edge = await startEdge({ port: 0, host: '127.0.0.1', dataDir: tmp, options: {} });
 */
export async function startEdge(config: EdgeConfig, env = process.env): Promise<RunningEdge> {
  // --store redis://…: one of many instances on one Redis, with the bus on its pub/sub.
  const store = config.store
    ? await openRedisStore(config.store, { relaxedDurability: config.relaxedDurability ?? false })
    : await openNodeStore(config.dataDir);
  const cluster = config.store
    ? {
        transport: redisTransport(config.store),
        instanceId: config.instanceId ?? `${hostname()}-${process.pid}`,
      }
    : undefined;
  const adminToken = await ensureAdminToken(store, env.RBEE_ADMIN_TOKEN);
  const extra = config.catalogDir
    ? fsCatalogReader(pathToFileURL(`${resolve(config.catalogDir)}/`))
    : undefined;
  const statements = config.statementsDir
    ? fsCatalogReader(pathToFileURL(`${resolve(config.statementsDir)}/`))
    : undefined;
  const catalog = await loadCatalog(seedEntries, fsCatalogReader(catalogRoot), extra, statements);
  const tls = await tlsServerOptions(config);
  // One instance keeps package files in its data folder; many instances on one Redis keep them
  // as chunks in the store, which every instance reaches.
  const blobs = config.store ? undefined : new FolderBlobStore(join(config.dataDir, 'packages'));
  const edge = createEdge({
    catalog,
    store,
    options: config.options,
    cluster,
    agentFiles: nodeAgentFiles(),
    ...(blobs ? { blobs } : {}),
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: wsPayloadCap(config.options.maxFrameBytes ?? defaultEdgeOptions.maxFrameBytes),
    perMessageDeflate: false,
  });
  return await new Promise((resolve, reject) => {
    const server = serve(
      // No `websocket` option: node-server would run every agent upgrade through the Hono
      // app as well (a second token look-up per connection); handleAgentUpgrades is the one path.
      { fetch: edge.app.fetch, port: config.port, hostname: config.host, ...tls },
      (info: AddressInfo) => {
        const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
        resolve({
          url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
          port: info.port,
          edge,
          store,
          adminToken,
          async close() {
            await edge.close();
            wss.close();
            const closed = new Promise<void>((done) => server.close(() => done()));
            // Open SSE streams would hold close() forever.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            await closed;
            await store.close();
          },
        });
      },
    );
    handleAgentUpgrades(server as Server, wss, edge, store);
    server.once('error', reject);
  });
}
