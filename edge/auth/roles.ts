import type { Context, MiddlewareHandler } from 'hono';
import { findRoute } from '../../shared/api/routes.ts';
import type { Role } from '../../shared/api/tokens.ts';
import { apiError } from '../http/errors.ts';
import { requireAdmin, sessionOf } from '../http/require-admin.ts';
import type { Store } from '../store/store.ts';
import type { Sessions } from './sessions.ts';
import { bearer, hashToken } from './tokens.ts';

/** Who made a request: a named token, or the bootstrap admin (token or dashboard session). */
export type Principal = { name: string; role: Role };

/** The bootstrap admin token and dashboard sessions act as this principal. */
export const BOOTSTRAP_ADMIN: Principal = { name: 'admin', role: 'admin' };

/** Named API tokens start with this, so a request is checked against one kind of token only. */
export const NAMED_TOKEN_PREFIX = 'rbt_';

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Can `role` do what `needed` may? Each role can do everything the one before it can. */
export const roleAllows = (role: Role, needed: Role) => rank[role] >= rank[needed];

const principals = new WeakMap<Request, Principal>();

/** The principal the role check found for this request (undefined before it ran, or refused). */
export const principalOf = (c: Context) => principals.get(c.req.raw);

/**
 * Authenticates an `/api` request and checks its role against the route table
 * (shared/api/routes.ts); a route missing from the table needs admin. Named tokens
 * (`rbt_…`) are looked up by hash; anything else goes through the admin check (bootstrap token
 * or dashboard session with CSRF). A refusal names the role needed and the role held.
 */
export function requireRole(
  store: Store,
  sessions?: Sessions,
  now: () => number = Date.now,
): MiddlewareHandler {
  const admin = requireAdmin(store, sessions, now);
  return async (c, next) => {
    const needed = findRoute(c.req.method, c.req.path)?.role ?? 'admin';
    const token = bearer(c.req.header('Authorization'));
    if (!token?.startsWith(NAMED_TOKEN_PREFIX)) {
      return admin(c, async () => {
        // A dashboard session opened with a named token acts with that token's role.
        const session = sessionOf(c);
        const who = session?.role ? { name: session.name ?? '?', role: session.role } : null;
        principals.set(c.req.raw, who ?? BOOTSTRAP_ADMIN);
        if (who && !roleAllows(who.role, needed)) {
          c.res = forbidden(c, needed, who);
          return;
        }
        await next();
      });
    }
    const record = await store.getApiTokenByHash(await hashToken(token));
    if (!record || record.revoked_at !== null) {
      return apiError(c, 401, 'UNAUTHORIZED', 'the API token is unknown or revoked');
    }
    if (record.expires_at !== null && record.expires_at <= now()) {
      const when = new Date(record.expires_at).toISOString();
      return apiError(c, 401, 'UNAUTHORIZED', `the API token "${record.name}" expired at ${when}`);
    }
    principals.set(c.req.raw, { name: record.name, role: record.role });
    if (!roleAllows(record.role, needed)) return forbidden(c, needed, record);
    await next();
  };
}

/** 403 FORBIDDEN naming the role needed and the role held. */
const forbidden = (c: Context, needed: Role, who: Principal) =>
  apiError(
    c,
    403,
    'FORBIDDEN',
    `${c.req.method} ${c.req.path} needs the ${needed} role; token "${who.name}" has ${who.role}`,
  );
