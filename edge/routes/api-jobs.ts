import { Hono } from 'hono';
import { installRequestSchema, listJobsQuerySchema, type Selector } from '../../shared/api/jobs.ts';
import { formatIssue } from '../../shared/validation/format-issue.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import { catalogVersion, hasInstalled } from '../jobs/already-installed.ts';
import { JobConflictError, type JobService } from '../jobs/job-service.ts';
import type { RolloutService } from '../rollouts/rollout-service.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { findHive } from './api-hives.ts';

/** Does a hive match every given part of a selector? */
export function matchesSelector(hive: HiveRecord, selector: Selector): boolean {
  for (const [key, value] of Object.entries(selector.labels ?? {})) {
    if (hive.labels[key] !== value) return false;
  }
  if (selector.os && hive.platform?.os !== selector.os) return false;
  if (selector.arch && hive.platform?.arch !== selector.arch) return false;
  if (selector.accelerator) {
    const kinds = hive.platform?.accelerators.map((a) => a.kind) ?? [];
    const none = selector.accelerator === 'none';
    if (none ? kinds.length > 0 : !kinds.includes(selector.accelerator as 'cuda')) return false;
  }
  return true;
}

/** `/api/installs` and `/api/jobs`: create, list, show and cancel jobs. */
export function jobsRoutes(
  store: Store,
  jobs: JobService,
  catalog: Catalog,
  rollouts: RolloutService,
) {
  const app = new Hono();

  app.post('/api/installs', async (c) => {
    const body = await readBody(c, installRequestSchema, 4 * 1024 * 1024);
    if (body instanceof Response) return body;
    const worker = catalog.get(body.worker);
    if (!worker) {
      return apiError(
        c,
        404,
        'UNKNOWN_WORKER',
        `no worker with id "${body.worker}" in the catalog`,
      );
    }
    const input = {
      worker: body.worker,
      kind: 'install' as const,
      ...(body.timeout_ms ? { timeout_ms: body.timeout_ms } : {}),
      build: body.build,
      ...(body.retries ? { retries: body.retries } : {}),
    };
    // Without force, a hive that has this version and pkgrel already succeeds at once.
    const version = catalogVersion(worker);
    const already = (hive: HiveRecord) => !body.force && hasInstalled(hive, body.worker, version);
    if (body.hive !== undefined) {
      const hive = await findHive(store, body.hive);
      if (!hive) return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${body.hive}"`);
      if (already(hive)) {
        const [job] = await jobs.createSettled([hive.id], input);
        return c.json({ job: job! }, 201);
      }
      return c.json({ job: await jobs.create({ hive: hive.id, ...input }) }, 201);
    }
    const all = await store.listHives();
    let targets: string[];
    if (body.hives !== undefined) {
      const byRef = new Map<string, string>();
      for (const h of all) byRef.set(h.id, h.id).set(h.name, h.id);
      const unknown = body.hives.filter((ref) => !byRef.has(ref));
      if (unknown.length > 0) {
        const names = unknown.slice(0, 5).map((u) => `"${u}"`);
        return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name ${names.join(', ')}`);
      }
      targets = [...new Set(body.hives.map((ref) => byRef.get(ref)!))];
    } else {
      targets = all.filter((h) => matchesSelector(h, body.selector!)).map((h) => h.id);
      if (targets.length === 0) {
        return apiError(c, 404, 'NO_MATCHING_HIVE', 'no hive matches the selector');
      }
    }
    const byId = new Map(all.map((h) => [h.id, h]));
    const settled = new Set(targets.filter((id) => already(byId.get(id)!)));
    const created = await rollouts.create(
      targets.filter((id) => !settled.has(id)),
      {
        ...input,
        ...(body.max_concurrency ? { max_concurrency: body.max_concurrency } : {}),
        ...(body.max_errors ? { max_errors: body.max_errors } : {}),
        ...(body.canary ? { canary: body.canary } : {}),
      },
      [...settled],
    );
    return c.json(created, 201);
  });

  app.get('/api/jobs', async (c) => {
    const query = listJobsQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      return apiError(c, 400, 'BAD_REQUEST', formatIssue(query.error, '(query)'));
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
