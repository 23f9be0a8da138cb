import { z } from 'zod';

/** One cached build as `GET /api/packages` lists it (no .PKGINFO, no signed payload). */
export const packageViewSchema = z.looseObject({
  key: z.string(),
  worker: z.string(),
  version: z.string(),
  facts: z.looseObject({
    os: z.string(),
    arch: z.string(),
    accelerators: z.array(z.string()),
    worker_type: z.string(),
  }),
  size: z.number(),
  built_by: z.string(),
  built_at: z.number(),
  job: z.string(),
  /** The builder key that signed its build record. */
  signed_by: z.string(),
  /** Hives of its platform that report this worker at this version installed. */
  used_by: z.number(),
});

/** A platform a worker has a cached package for: what the dashboard's catalog page shows. */
export const cachedPlatformSchema = z.object({
  os: z.string(),
  arch: z.string(),
  /** Accelerator kinds, sorted. */
  accelerators: z.array(z.string()),
  worker_type: z.string(),
  /** The newest cached build for the platform. */
  version: z.string(),
  key: z.string(),
  size: z.number(),
  built_by: z.string(),
  built_at: z.number(),
  used_by: z.number(),
  /** Cached builds of this platform, older versions included. */
  builds: z.number(),
});

/** Per worker, the platforms that have a cached package (newest build each). */
export const packageWorkersSchema = z.array(
  z.object({ worker: z.string(), platforms: z.array(cachedPlatformSchema) }),
);
export type PackageWorkers = z.infer<typeof packageWorkersSchema>;
