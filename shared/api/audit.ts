import { z } from 'zod';

/** One recorded change: who (the token's name), what, to which target, when and from where. */
export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.number(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  status: z.number(),
  source: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** `GET /api/audit?since=&actor=&action=&limit=`; newest first. */
export const auditQuerySchema = z.object({
  since: z.coerce.number().int().nonnegative().optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const listAuditResponseSchema = z.object({ entries: z.array(auditEntrySchema) });
