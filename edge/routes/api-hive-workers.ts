import { Hono } from 'hono';
import { uninstallRequestSchema } from '../../shared/api/jobs.ts';
import { incompatibilities } from '../../shared/catalog/compatibility.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { findHive } from './api-hives.ts';

/**
 * The catalog as one hive sees it: the entries it can run, or with `all` every entry with
 * `runnable` and the reasons it cannot (the same check the agent's platform step makes).
 */
export function catalogForHive(catalog: Catalog, hive: HiveRecord, all: boolean) {
  const workers = catalog.entries().map((entry) => {
    const why = incompatibilities(entry, hive.platform);
    return { ...entry, runnable: why.length === 0, reasons: why };
  });
  return {
    hive: hive.id,
    platform: hive.platform,
    workers: all ? workers : workers.filter((w) => w.runnable),
  };
}

/** `/api/hives/:id/workers` (installed, from the hive's report), `/catalog` and `/uninstall`. */
export function hiveWorkersRoutes(store: Store, jobs: JobService, catalog: Catalog) {
  const app = new Hono();

  app.get('/api/hives/:id/workers', async (c) => {
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    return c.json({ hive: hive.id, platform: hive.platform, workers: hive.installed });
  });

  app.get('/api/hives/:id/catalog', async (c) => {
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    const all = c.req.query('all');
    return c.json(catalogForHive(catalog, hive, all === '1' || all === 'true'));
  });

  app.post('/api/hives/:id/uninstall', async (c) => {
    const body = await readBody(c, uninstallRequestSchema);
    if (body instanceof Response) return body;
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    if (!hive.installed.some((w) => w.id === body.worker)) {
      return apiError(
        c,
        409,
        'NOT_INSTALLED',
        `hive "${hive.name}" has not reported ${body.worker} as installed`,
      );
    }
    const job = await jobs.create({
      hive: hive.id,
      worker: body.worker,
      kind: 'uninstall',
      ...(body.timeout_ms ? { timeout_ms: body.timeout_ms } : {}),
    });
    return c.json({ job }, 201);
  });

  return app;
}
