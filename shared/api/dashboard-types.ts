import type { z } from 'zod';
import type { KeyFacts, PackageRecord } from '../repo/package-record.ts';
import type { createEnrolmentTokenRequestSchema, enrolmentTokenSchema } from './enrolment.ts';

/** Types of answers the typed client reads, taken from the edge's own schemas. */
export type CreateEnrolmentTokenRequest = z.infer<typeof createEnrolmentTokenRequestSchema>;
export type EnrolmentToken = z.infer<typeof enrolmentTokenSchema>;

/** One worker of `GET /api/hives/:id/catalog?all=1`: whether the hive can run it, and why not. */
export type HiveCatalogWorker = { id: string; runnable: boolean; reasons: string[] };

/** A cached build as `GET /api/packages` lists it (files without their .PKGINFO, total size). */
export type CachedPackage = Omit<PackageRecord, 'files'> & {
  facts: KeyFacts;
  files: Omit<PackageRecord['files'][number], 'pkginfo'>[];
  size: number;
};
