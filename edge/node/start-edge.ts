import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { loadCatalog } from '../catalog/catalog.ts';
import { seedEntries } from '../catalog/entries.ts';
import type { EdgeConfig } from '../config.ts';
import { catalogRoot, fsCatalogReader } from './catalog-reader.ts';

export type RunningEdge = { url: string; port: number; close(): Promise<void> };

/**
 * Starts the edge on Node and resolves once it listens.
 * @example const edge = await startEdge({ port: 0, host: '127.0.0.1', dataDir: tmp }); await edge.close();
 */
export async function startEdge(config: EdgeConfig): Promise<RunningEdge> {
  await mkdir(config.dataDir, { recursive: true });
  const catalog = await loadCatalog(seedEntries, fsCatalogReader(catalogRoot));
  const app = createApp({ catalog });
  return await new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port: config.port, hostname: config.host },
      (info: AddressInfo) => {
        const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
        resolve({
          url: `http://${host}:${info.port}`,
          port: info.port,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      },
    );
    server.once('error', reject);
  });
}
