import { Hono } from 'hono';
import { z } from 'zod';
import { workerIdSchema } from '../../shared/catalog/schema.ts';
import { jobStateSchema } from '../../shared/protocol/job.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import { JobConflictError, type JobService } from '../jobs/job-service.ts';
import type { Store } from '../store/store.ts';
import { findHive } from './api-hives.ts';

const installSchema = z
  .object({
    hive: z.string().min(1).max(64),
    worker: workerIdSchema,
    timeout_ms: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600 * 1000)
      .optional(),
  })
  .strict();

const listQuerySchema = z.object({
  hive: z.string().max(64).optional(),
  state: jobStateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** `/api/installs` and `/api/jobs`: create, list, show and cancel jobs. */
export function jobsRoutes(store: Store, jobs: JobService, catalog: Catalog) {
  const app = new Hono();

  app.post('/api/installs', async (c) => {
    const body = await readBody(c, installSchema);
    if (body instanceof Response) return body;
    const hive = await findHive(store, body.hive);
    if (!hive) return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${body.hive}"`);
    if (!catalog.get(body.worker)) {
      return apiError(
        c,
        404,
        'UNKNOWN_WORKER',
        `no worker with id "${body.worker}" in the catalog`,
      );
    }
    const job = await jobs.create({
      hive: hive.id,
      worker: body.worker,
      kind: 'install',
      ...(body.timeout_ms ? { timeout_ms: body.timeout_ms } : {}),
    });
    return c.json({ job }, 201);
  });

  app.get('/api/jobs', async (c) => {
    const query = listQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      const issue = query.error.issues[0]!;
      return apiError(c, 400, 'BAD_REQUEST', `${issue.path.join('.')}: ${issue.message}`);
    }
    let hive = query.data.hive;
    if (hive !== undefined) hive = (await findHive(store, hive))?.id ?? hive;
    return c.json({ jobs: await store.listJobs({ ...query.data, ...(hive ? { hive } : {}) }) });
  });

  app.get('/api/jobs/:id', async (c) => {
    const job = await store.getJob(c.req.param('id'));
    if (!job) return apiError(c, 404, 'UNKNOWN_JOB', `no job with id "${c.req.param('id')}"`);
    const head = await store.logHead(job.id);
    return c.json({ job: { ...job, log_entries: head.next, log_bytes: head.bytes } });
  });

  app.post('/api/jobs/:id/cancel', async (c) => {
    try {
      const job = await jobs.cancel(c.req.param('id'));
      if (!job) return apiError(c, 404, 'UNKNOWN_JOB', `no job with id "${c.req.param('id')}"`);
      return c.json({ job }, 202);
    } catch (error) {
      if (error instanceof JobConflictError) return apiError(c, 409, 'JOB_FINISHED', error.message);
      throw error;
    }
  });

  return app;
}
