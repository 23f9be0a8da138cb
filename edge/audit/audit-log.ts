import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { auditQuerySchema } from '../../shared/api/audit.ts';
import { findRoute } from '../../shared/api/routes.ts';
import { formatIssue } from '../../shared/validation/format-issue.ts';
import { principalOf } from '../auth/roles.ts';
import { randomId } from '../auth/tokens.ts';
import { apiError } from '../http/errors.ts';
import type { Store } from '../store/store.ts';
import { sourceAddress } from './source-address.ts';

/** Entries of one millisecond keep their order: the id carries a sequence number after the time. */
let sequence = 0;
export const auditId = () =>
  `aud_${(sequence++ % 36 ** 6).toString(36).padStart(6, '0')}${randomId(10)}`;

/** What a change was aimed at: the path's ids, then the body's worker, hive(s) and name. */
async function targetOf(c: Context): Promise<string | null> {
  const parts = Object.values(c.req.param() as Record<string, string>);
  try {
    const text = await c.req.text(); // Hono keeps the body the handler read
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    for (const key of ['worker', 'hive', 'name']) {
      if (typeof body[key] === 'string') parts.push(`${key}=${body[key]}`);
    }
    if (Array.isArray(body.hives)) parts.push(`hives=${body.hives.length}`);
    if (body.selector) parts.push(`selector=${JSON.stringify(body.selector)}`);
  } catch {
    // a body that is not JSON was refused by the handler; the path still names the target
  }
  return parts.length > 0 ? parts.join(' ').slice(0, 512) : null;
}

/**
 * Records every call of a route with an audit `action` (shared/api/routes.ts) made by a known
 * principal, allowed or refused, with its answer's status. Mounted before the role check, it
 * reads the principal after the call returns; unauthenticated calls are not recorded, so
 * strangers cannot fill the log.
 */
export function auditLog(store: Store, now: () => number = Date.now): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const route = findRoute(c.req.method, c.req.path);
    const who = principalOf(c);
    if (!route?.action || !who) return;
    const at = now();
    await store.appendAudit({
      id: auditId(),
      at,
      actor: who.name,
      role: who.role,
      action: route.action,
      target: await targetOf(c),
      status: c.res.status,
      source: sourceAddress(c),
    });
  };
}

/** `GET /api/audit`: the log, newest first. There is no route that changes or removes entries. */
export function auditRoutes(store: Store) {
  const app = new Hono();
  app.get('/api/audit', async (c) => {
    const query = auditQuerySchema.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, 'BAD_REQUEST', formatIssue(query.error, '(query)'));
    return c.json({ entries: await store.listAudit(query.data) });
  });
  return app;
}
