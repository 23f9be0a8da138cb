import type { MiddlewareHandler } from 'hono';
import { adminTokenHash } from '../auth/admin-token.ts';
import { bearer, hashToken, sameDigest } from '../auth/tokens.ts';
import type { Store } from '../store/store.ts';
import { apiError } from './errors.ts';

/** The stored hash changes only at start-up; a short cache keeps a KV read off every request. */
const CACHE_MS = 5000;

/** Admin routes take `Authorization: Bearer <admin token>`. */
export function requireAdmin(store: Store, now: () => number = Date.now): MiddlewareHandler {
  let cached: { hash: string | null; at: number } | null = null;
  return async (c, next) => {
    const token = bearer(c.req.header('Authorization'));
    if (!token) {
      return apiError(
        c,
        401,
        'UNAUTHORIZED',
        'admin API needs an Authorization: Bearer <admin token> header',
      );
    }
    if (!cached || now() - cached.at > CACHE_MS)
      cached = { hash: await adminTokenHash(store), at: now() };
    const stored = cached.hash;
    if (!stored || !sameDigest(stored, await hashToken(token))) {
      return apiError(c, 401, 'UNAUTHORIZED', 'the admin token is wrong');
    }
    await next();
  };
}
