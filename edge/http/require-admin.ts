import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { adminTokenHash, verifyAdminToken } from '../auth/admin-token.ts';
import { csrfMatches, SESSION_COOKIE, type Session, type Sessions } from '../auth/sessions.ts';
import { bearer, hashToken } from '../auth/tokens.ts';
import type { Store } from '../store/store.ts';
import { apiError } from './errors.ts';

/** The stored hash changes only at start-up; a short cache keeps a KV read off every request. */
const CACHE_MS = 5000;

/** Methods that change something: a cookie alone is not enough for them (CSRF). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The header a signed-in dashboard sends its session's CSRF token in. */
export const CSRF_HEADER = 'X-CSRF-Token';

const sessionByRequest = new WeakMap<Request, Session>();

/** The dashboard session a request was let in with (undefined: it came with a token). */
export const sessionOf = (c: Context) => sessionByRequest.get(c.req.raw);

/** Checks an admin token against the stored hash. */
export function adminTokenCheck(store: Store, now: () => number = Date.now) {
  let cached: { hash: string | null; at: number } | null = null;
  // The stored hash is slow on purpose; a token once verified against it is known by its
  // fast SHA-256 until the stored hash changes.
  let verified = new Set<string>();
  return async (token: string): Promise<boolean> => {
    if (!cached || now() - cached.at > CACHE_MS) {
      const hash = await adminTokenHash(store);
      if (hash !== cached?.hash) verified = new Set();
      cached = { hash, at: now() };
    }
    if (!cached.hash) return false;
    const fast = await hashToken(token);
    if (verified.has(fast)) return true;
    if (!(await verifyAdminToken(token, cached.hash))) return false;
    verified.add(fast);
    return true;
  };
}

/**
 * Admin routes take `Authorization: Bearer <admin token>`, or a dashboard session cookie; with
 * the cookie, POST/PUT/PATCH/DELETE also need the session's CSRF token in `X-CSRF-Token`.
 */
export function requireAdmin(
  store: Store,
  sessions?: Sessions,
  now: () => number = Date.now,
): MiddlewareHandler {
  const check = adminTokenCheck(store, now);
  return async (c, next) => {
    const token = bearer(c.req.header('Authorization'));
    const cookie = sessions ? getCookie(c, SESSION_COOKIE) : undefined;
    if (!token && cookie && sessions) {
      const session = await sessions.get(cookie);
      if (!session) return apiError(c, 401, 'UNAUTHORIZED', 'the session has ended; sign in again');
      if (!SAFE.has(c.req.method) && !csrfMatches(session, c.req.header(CSRF_HEADER))) {
        return apiError(
          c,
          403,
          'CSRF',
          `a signed-in ${c.req.method} needs the session's CSRF token in ${CSRF_HEADER}`,
        );
      }
      sessionByRequest.set(c.req.raw, session);
      return next();
    }
    if (!token) {
      return apiError(
        c,
        401,
        'UNAUTHORIZED',
        'admin API needs an Authorization: Bearer <admin token> header',
      );
    }
    if (!(await check(token))) return apiError(c, 401, 'UNAUTHORIZED', 'the admin token is wrong');
    await next();
  };
}
