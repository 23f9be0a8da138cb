import { z } from 'zod';
import { workerIdSchema } from '../catalog/schema.ts';
import { signedEnvelopeSchema } from '../catalog/signature.ts';

/** Lower-case hex SHA-256: a blob's name and a cache key. */
export const sha256HexSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/**
 * How an install uses the package cache: `if-missing` (or its older name `auto`) installs a
 * cached package when one matches and builds otherwise; `always` rebuilds; `never` insists.
 */
export const buildModeSchema = z.enum(['if-missing', 'auto', 'always', 'never']);
export type BuildMode = z.infer<typeof buildModeSchema>;

/** One package file of a cached build, as its builder described it. */
export const packageFileSchema = z.object({
  pkgname: z.string().min(1).max(128),
  filename: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9@._+:-]+\.pkg\.tar(\.[a-z0-9]+)?$/, 'must be a package file name'),
  arch: z.string().min(1).max(32),
  sha256: sha256HexSchema,
  /** MD5 for the repo db (repo-add writes it; WebCrypto has no MD5, so the builder says it). */
  md5: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits'),
  size: z.number().int().nonnegative(),
  /** The package's .PKGINFO, for the pacman repository's desc entry. */
  pkginfo: z.string().max(256 * 1024),
});
export type PackageFile = z.infer<typeof packageFileSchema>;

/** The facts a cache key was made from, kept on the record so an admin can read why two differ. */
export const keyFactsSchema = z.object({
  os: z.string().max(32),
  arch: z.string().max(32),
  accelerators: z.array(z.string().max(32)).max(16),
  worker_type: z.string().max(64),
  pkgver: z.string().max(128),
  pkgrel: z.string().max(32),
  epoch: z.string().max(16),
  pkgbuild_sha256: sha256HexSchema,
});
export type KeyFacts = z.infer<typeof keyFactsSchema>;

/** What a builder hive uploads after a successful build. */
export const packageUploadSchema = z
  .object({
    worker: workerIdSchema,
    version: z.string().min(1).max(160),
    facts: keyFactsSchema,
    files: z.array(packageFileSchema).min(1).max(64),
    job: z.string().max(64),
    /** The build record (shared/repo/build-record.ts) signed with the builder hive's own key. */
    signed: signedEnvelopeSchema,
  })
  .strict();
export type PackageUpload = z.infer<typeof packageUploadSchema>;

/** A cached build as the edge keeps it. */
export type PackageRecord = PackageUpload & {
  key: string;
  /** Hive id of the builder. */
  built_by: string;
  built_at: number;
};
