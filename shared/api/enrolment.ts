import { z } from 'zod';
import { labelsSchema } from './common.ts';
import { packageViewSchema, packageWorkersSchema } from './packages.ts';

/** `POST /api/enrolment-tokens`: a token agents enrol with, limited in uses and time. */
export const createEnrolmentTokenRequestSchema = z
  .object({
    name: z.string().min(1).max(128).optional(),
    labels: labelsSchema.optional(),
    max_uses: z.number().int().min(1).max(1_000_000).optional(),
    /** Seconds until it expires: at most a year (default a day). */
    expires_in: z
      .number()
      .int()
      .min(1)
      .max(366 * 24 * 3600)
      .optional(),
  })
  .strict();

/** An enrolment token as listed: never the secret. */
export const enrolmentTokenSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  max_uses: z.number().nullable(),
  uses: z.number(),
  uses_left: z.number().nullable(),
  expires_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
  created_at: z.number(),
  state: z.string(),
});

export const createEnrolmentTokenResponseSchema = enrolmentTokenSchema.extend({
  token: z.string(),
});
export const listEnrolmentTokensResponseSchema = z.object({
  tokens: z.array(enrolmentTokenSchema),
});

/**
 * `GET /api/packages`: the package cache, newest first (`?worker=` narrows it), and per worker
 * the platforms that have a cached package (shared/api/packages.ts).
 */
export const listPackagesResponseSchema = z.object({
  packages: z.array(packageViewSchema),
  workers: packageWorkersSchema,
});
