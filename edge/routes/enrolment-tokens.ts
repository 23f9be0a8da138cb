import { Hono } from 'hono';
import { z } from 'zod';
import { enrolmentTokenView, issueEnrolmentToken } from '../enrolment/enrolment-tokens.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import type { Store } from '../store/store.ts';

const createSchema = z
  .object({
    name: z.string().min(1).max(128).optional(),
    labels: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label keys are 1-63 of [a-z0-9._/-]'),
        z.string().max(256),
      )
      .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels')
      .optional(),
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

/** `/api/enrolment-tokens` (admin): issue, list with uses left, revoke. */
export function enrolmentTokensRoutes(store: Store, now: () => number) {
  const app = new Hono();

  app.post('/api/enrolment-tokens', async (c) => {
    const body = await readBody(c, createSchema);
    if (body instanceof Response) return body;
    const { record, token } = await issueEnrolmentToken(store, body, now());
    return c.json({ ...enrolmentTokenView(record, now()), token }, 201);
  });

  app.get('/api/enrolment-tokens', async (c) => {
    const tokens = await store.listEnrolmentTokens();
    return c.json({ tokens: tokens.map((t) => enrolmentTokenView(t, now())) });
  });

  app.delete('/api/enrolment-tokens/:id', async (c) => {
    const id = c.req.param('id');
    const at = now();
    const revoked = await store.updateEnrolmentToken(id, (t) =>
      t.revoked_at === null ? { ...t, revoked_at: at } : null,
    );
    if (revoked) return c.json({ revoked: id });
    const existing = await store.getEnrolmentToken(id);
    if (existing) return c.json({ revoked: id }); // revoked already: the same answer
    return apiError(c, 404, 'UNKNOWN_ENROLMENT_TOKEN', `no enrolment token with id "${id}"`);
  });

  return app;
}
