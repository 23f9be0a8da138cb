import { afterAll, beforeAll, describe } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { loadCatalog } from '../../edge/catalog/catalog.ts';
import { seedEntries } from '../../edge/catalog/entries.ts';
import { catalogRoot, fsCatalogReader } from '../../edge/node/catalog-reader.ts';
import { type EdgeProcess, startDenoEdge, startNodeEdge } from '../support/edge-process.ts';
import { catalogContract, type Fetcher, rawFetcher } from './catalog-contract.ts';

describe('catalog, in process (app.request)', () => {
  let fetcher: Fetcher;
  beforeAll(async () => {
    const app = createApp({
      catalog: await loadCatalog(seedEntries, fsCatalogReader(catalogRoot)),
    });
    fetcher = async (path, init) => app.request(path, init);
  });
  catalogContract(() => fetcher);
});

describe('catalog, rbee edge on Node (real process, port 0)', () => {
  let edge: EdgeProcess;
  beforeAll(async () => {
    edge = await startNodeEdge();
  });
  afterAll(async () => {
    await edge?.stop();
  });
  catalogContract(() => rawFetcher(() => edge.url));
});

describe('catalog, deno task edge (real Deno process, port 0)', () => {
  let edge: EdgeProcess;
  beforeAll(async () => {
    edge = await startDenoEdge();
  });
  afterAll(async () => {
    await edge?.stop();
  });
  catalogContract(() => rawFetcher(() => edge.url));
});
