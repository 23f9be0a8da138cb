import { z } from 'zod';
import { architectureSchema, platformSchema, workerIdSchema } from '../catalog/schema.ts';
import {
  jobErrorSchema,
  jobKindSchema,
  jobStateSchema,
  jobTimeoutSchema,
} from '../protocol/job.ts';
import { buildModeSchema } from '../repo/package-record.ts';

/** Which hives a rollout goes to: every given part must match. */
export const selectorSchema = z
  .object({
    labels: z.record(z.string(), z.string()).optional(),
    os: platformSchema.optional(),
    arch: architectureSchema.optional(),
    accelerator: z.enum(['cuda', 'metal', 'rocm', 'none']).optional(),
  })
  .strict();
export type Selector = z.infer<typeof selectorSchema>;

/** `POST /api/installs`: one of `hive`, `hives` or `selector` names the targets. */
export const installRequestSchema = z
  .object({
    hive: z.string().min(1).max(64).optional(),
    hives: z.array(z.string().min(1).max(64)).min(1).max(100_000).optional(),
    selector: selectorSchema.optional(),
    worker: workerIdSchema,
    timeout_ms: jobTimeoutSchema.optional(),
    /** The package cache: `if-missing` (default; `auto` is its older name) installs a cached package when one matches. */
    build: buildModeSchema.default('if-missing'),
    /** Rollouts (hives or selector): jobs in progress at once; the rest wait their turn. */
    max_concurrency: z.number().int().positive().max(100_000).optional(),
    /** Rollouts: failed jobs after which the waiting ones are cancelled and the rollout stops. */
    max_errors: z.number().int().positive().max(100_000).optional(),
    /** Rollouts: this many hives build first; the rest install once every one of them succeeded. */
    canary: z.number().int().positive().max(100_000).optional(),
    /** Install even where the hive already has this version and pkgrel (else: already_installed). */
    force: z.boolean().optional(),
    /**
     * New attempts after an infrastructure failure (the agent restarted, the job was lost with
     * the agent's state, the delivery deadline passed); a failure of the build itself never is.
     */
    retries: z.number().int().min(0).max(10).optional(),
  })
  .strict()
  .refine(
    (b) => [b.hive, b.hives, b.selector].filter((t) => t !== undefined).length === 1,
    'give exactly one of hive, hives or selector',
  )
  .refine(
    (b) =>
      b.hive === undefined ||
      (b.max_concurrency === undefined && b.max_errors === undefined && b.canary === undefined),
    'max_concurrency, max_errors and canary are for rollouts: give hives or selector',
  );
/** What a client sends (`build` may be left out: `if-missing`). */
export type InstallRequest = z.input<typeof installRequestSchema>;

/** `POST /api/hives/:id/uninstall`. */
export const uninstallRequestSchema = z
  .object({ worker: workerIdSchema, timeout_ms: jobTimeoutSchema.optional() })
  .strict();

/** A job as the API shows it. */
export const jobSchema = z.object({
  id: z.string(),
  hive: z.string(),
  kind: jobKindSchema,
  worker: z.string(),
  state: jobStateSchema,
  step: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  deliver_by: z.number(),
  dispatched_at: z.number().nullable(),
  accepted_at: z.number().nullable(),
  ended_at: z.number().nullable(),
  cancel_requested: z.boolean(),
  error: jobErrorSchema.nullable(),
  timeout_ms: z.number().nullable(),
  rollout: z.string().nullable(),
  held: z.boolean().optional(),
  /** Ended at once: the hive already had this version and pkgrel (install without force). */
  already_installed: z.boolean().optional(),
  /** Automatic attempts left after an infrastructure failure. */
  retries_left: z.number().optional(),
  /** The job this one retries, and the one that retried this one. */
  retry_of: z.string().optional(),
  retried_by: z.string().optional(),
});
export type Job = z.infer<typeof jobSchema>;

export const jobResponseSchema = z.object({ job: jobSchema });
/** `GET /api/jobs/:id` adds where its log stands. */
export const jobDetailResponseSchema = z.object({
  job: jobSchema.extend({ log_entries: z.number(), log_bytes: z.number() }),
});
export const listJobsResponseSchema = z.object({ jobs: z.array(jobSchema) });

/** `GET /api/jobs?hive=&state=&limit=`. */
export const listJobsQuerySchema = z.object({
  hive: z.string().max(64).optional(),
  state: jobStateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const rolloutStateSchema = z.enum(['running', 'succeeded', 'failed', 'stopped']);

/** One install sent to many hives, with its counts by outcome. */
export const rolloutSchema = z.object({
  id: z.string(),
  kind: jobKindSchema,
  worker: z.string(),
  state: rolloutStateSchema,
  max_concurrency: z.number().nullable(),
  max_errors: z.number().nullable(),
  counts: z.object({
    total: z.number(),
    waiting: z.number(),
    in_progress: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    cancelled: z.number(),
  }),
  cancel_requested: z.boolean().optional(),
  created_at: z.number(),
  updated_at: z.number(),
  ended_at: z.number().nullable(),
});
export type Rollout = z.infer<typeof rolloutSchema>;

export const rolloutResponseSchema = z.object({ rollout: rolloutSchema });
export const listRolloutsResponseSchema = z.object({ rollouts: z.array(rolloutSchema) });

/** `POST /api/installs` answers one job (`hive`) or a rollout and its jobs (`hives`, `selector`). */
export const installResponseSchema = z.union([
  z.object({ job: jobSchema }),
  z.object({ rollout: rolloutSchema, jobs: z.array(jobSchema) }),
]);
export type InstallResponse = z.infer<typeof installResponseSchema>;

/** `GET /api/workers/:id/installs`: the hives that have a worker, grouped by version. */
export const workerInstallsResponseSchema = z.object({
  worker: z.string(),
  /** `[epoch:]pkgver-pkgrel` an install would put on a hive now. */
  catalog_version: z.string(),
  hives: z.number(),
  versions: z.array(
    z.object({
      version: z.string(),
      count: z.number(),
      hives: z.array(
        z.object({ id: z.string(), name: z.string(), installed_at: z.number().nullable() }),
      ),
    }),
  ),
});
export type WorkerInstalls = z.infer<typeof workerInstallsResponseSchema>;
