import { z } from 'zod';

/** A catalog id or a local source file name: lower-case words, no path characters. */
export const workerIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._+-]*$/, 'worker id must match [a-z0-9][a-z0-9._+-]*');

export const workerTypeSchema = z.enum(['cpu', 'cuda', 'metal']);
export const platformSchema = z.enum(['linux', 'macos', 'windows']);
export const architectureSchema = z.enum(['x86_64', 'aarch64']);

export const workerSourceSchema = z.object({
  type: z.enum(['git', 'local', 'tarball']),
  url: z.string().min(1),
  branch: z.string().optional(),
  tag: z.string().optional(),
  path: z.string().optional(),
});

export const workerBuildSchema = z.object({
  features: z.array(z.string()).optional(),
  profile: z.string().optional(),
  flags: z.array(z.string()).optional(),
});

/** Install policy of a worker: exact installed paths allowed to keep bits install clears. */
export const workerInstallSchema = z
  .object({
    /** Files that keep their setuid/setgid bits (absolute paths as installed). */
    allow_setuid: z.array(z.string().startsWith('/').max(4096)).max(256).optional(),
    /** Files that keep a world-writable bit. */
    allow_world_writable: z.array(z.string().startsWith('/').max(4096)).max(256).optional(),
  })
  .strict();

/**
 * One installable worker, as the original catalog described it.
 * @example catalogEntrySchema.parse(json) // throws a ZodError naming the bad field
 */
export const catalogEntrySchema = z
  .object({
    id: workerIdSchema,
    implementation: z.string().min(1),
    worker_type: workerTypeSchema,
    version: z
      .string()
      .regex(/^[^:/\s-]+$/, 'version must be a pkgver: no ":", "/", "-" or spaces'),
    platforms: z.array(platformSchema).min(1),
    architectures: z.array(architectureSchema).min(1),
    name: z.string().min(1),
    description: z.string(),
    license: z.string().min(1),
    build_system: z.string().min(1),
    source: workerSourceSchema,
    build: workerBuildSchema,
    depends: z.array(z.string()),
    makedepends: z.array(z.string()),
    binary_name: z.string().min(1),
    install_path: z.string().startsWith('/'),
    supported_formats: z.array(z.string()),
    max_context_length: z.number().int().positive().optional(),
    supports_streaming: z.boolean(),
    supports_batching: z.boolean(),
    install: workerInstallSchema.optional(),
  })
  .strict();

export type WorkerType = z.infer<typeof workerTypeSchema>;
export type Platform = z.infer<typeof platformSchema>;
export type Architecture = z.infer<typeof architectureSchema>;
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;
