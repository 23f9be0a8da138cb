import { Hono } from 'hono';
import { createTokenRequestSchema, durationMs } from '../../shared/api/tokens.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import type { ApiTokenRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { NAMED_TOKEN_PREFIX, principalOf } from './roles.ts';
import { hashToken, randomId } from './tokens.ts';

/** A token as listed: never its hash. */
const tokenView = ({ token_hash: _, ...rest }: ApiTokenRecord) => rest;

/** `/api/tokens` (named tokens with roles) and `/api/whoami`. */
export function apiTokensRoutes(store: Store, now: () => number) {
  const app = new Hono();

  app.get('/api/whoami', (c) => c.json(principalOf(c) ?? null));

  app.post('/api/tokens', async (c) => {
    const body = await readBody(c, createTokenRequestSchema);
    if (body instanceof Response) return body;
    const token = `${NAMED_TOKEN_PREFIX}${randomId(40)}`;
    const at = now();
    const record: ApiTokenRecord = {
      name: body.name,
      role: body.role,
      token_hash: await hashToken(token),
      created_at: at,
      created_by: principalOf(c)?.name ?? 'admin',
      expires_at: body.expires_in === undefined ? null : at + durationMs(body.expires_in),
      revoked_at: null,
    };
    if (!(await store.createApiToken(record))) {
      return apiError(c, 409, 'TOKEN_EXISTS', `a token named "${body.name}" already exists`);
    }
    return c.json({ token, info: tokenView(record) }, 201);
  });

  app.get('/api/tokens', async (c) =>
    c.json({ tokens: (await store.listApiTokens()).map(tokenView) }),
  );

  app.delete('/api/tokens/:name', async (c) => {
    const name = c.req.param('name');
    const revoked = await store.revokeApiToken(name, now());
    if (!revoked) return apiError(c, 404, 'UNKNOWN_TOKEN', `no token named "${name}"`);
    return c.json({ revoked: name });
  });

  return app;
}
