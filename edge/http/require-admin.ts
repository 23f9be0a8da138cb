import type { MiddlewareHandler } from 'hono';
import { adminTokenHash } from '../auth/admin-token.ts';
import { bearer, hashToken, sameDigest } from '../auth/tokens.ts';
import type { Store } from '../store/store.ts';
import { apiError } from './errors.ts';

/** Admin routes take `Authorization: Bearer <admin token>`. */
export function requireAdmin(store: Store): MiddlewareHandler {
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
    const stored = await adminTokenHash(store);
    if (!stored || !sameDigest(stored, await hashToken(token))) {
      return apiError(c, 401, 'UNAUTHORIZED', 'the admin token is wrong');
    }
    await next();
  };
}
