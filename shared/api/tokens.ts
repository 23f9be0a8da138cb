import { z } from 'zod';

/** What a token may do: each role can do everything the one before it can. */
export const roleSchema = z.enum(['viewer', 'operator', 'admin']);
export type Role = z.infer<typeof roleSchema>;

/** Durations such as `30m`, `12h`, `90d` (or milliseconds as a number). */
export const durationSchema = z.union([
  z
    .number()
    .int()
    .positive()
    .max(10 * 365 * 24 * 3600 * 1000),
  z.string().regex(/^\d{1,6}[smhd]$/, 'a duration is a number and one of s, m, h, d: 30d'),
]);

/** `POST /api/tokens`: a named API token with a role. */
export const createTokenRequestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'token names are 1-63 of [a-z0-9._-]'),
    role: roleSchema,
    expires_in: durationSchema.optional(),
  })
  .strict();
export type CreateTokenRequest = z.infer<typeof createTokenRequestSchema>;

/** A named token as listed: never the secret or its hash. */
export const tokenSchema = z.object({
  name: z.string(),
  role: roleSchema,
  created_at: z.number(),
  created_by: z.string(),
  expires_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
});
export type ApiToken = z.infer<typeof tokenSchema>;

/** The created token; `token` is shown this once. */
export const createTokenResponseSchema = z.object({ token: z.string(), info: tokenSchema });
export const listTokensResponseSchema = z.object({ tokens: z.array(tokenSchema) });
export const revokeTokenResponseSchema = z.object({ revoked: z.string() });

/** `GET /api/whoami`: who the caller is and what they may do. */
export const whoamiResponseSchema = z.object({ name: z.string(), role: roleSchema });

/** Milliseconds of a duration such as `30d`. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[value.slice(-1)] ?? 0;
  return Number(value.slice(0, -1)) * unit;
}
