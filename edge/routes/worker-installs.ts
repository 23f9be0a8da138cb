import { Hono } from 'hono';
import type { Catalog } from '../catalog/catalog.ts';
import { apiError } from '../http/errors.ts';
import { catalogVersion } from '../jobs/already-installed.ts';
import type { Store } from '../store/store.ts';

/**
 * `GET /api/workers/:id/installs`: which hives have a worker, by version (newest reported
 * first), with the version the catalog would install now. Read from the hives' own reports.
 */
export function workerInstallsRoutes(store: Store, catalog: Catalog) {
  const app = new Hono();
  app.get('/api/workers/:id/installs', async (c) => {
    const id = c.req.param('id');
    const worker = catalog.get(id);
    if (!worker)
      return apiError(c, 404, 'UNKNOWN_WORKER', `no worker with id "${id}" in the catalog`);
    const byVersion = new Map<
      string,
      { id: string; name: string; installed_at: number | null }[]
    >();
    for (const hive of await store.listHives()) {
      const installed = hive.installed.find((w) => w.id === id);
      if (!installed) continue;
      const list = byVersion.get(installed.version) ?? [];
      list.push({ id: hive.id, name: hive.name, installed_at: installed.installed_at ?? null });
      byVersion.set(installed.version, list);
    }
    const versions = [...byVersion.entries()]
      .map(([version, hives]) => ({
        version,
        count: hives.length,
        hives: hives.sort((a, b) => (a.name < b.name ? -1 : 1)),
      }))
      .sort((a, b) => b.count - a.count || (a.version < b.version ? 1 : -1));
    return c.json({
      worker: id,
      catalog_version: catalogVersion(worker),
      hives: versions.reduce((n, v) => n + v.count, 0),
      versions,
    });
  });
  return app;
}
