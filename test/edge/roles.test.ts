import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAllows } from '../../edge/auth/roles.ts';
import { apiRoutes } from '../../shared/api/routes.ts';
import type { Role } from '../../shared/api/tokens.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';

type Edge = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: Edge;
const tokens: Record<Role, string> = { viewer: '', operator: '', admin: '' };

beforeAll(async () => {
  edge = await inProcessEdge();
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const res = await edge.api('POST', '/api/tokens', { name: `t-${role}`, role });
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^rbt_[a-z2-7]{40}$/);
    tokens[role] = res.body.token;
  }
}, 60_000);
afterAll(() => edge.close());

/** A call of a route with made-up ids: what matters is whether the role check lets it through. */
const callOf = (route: (typeof apiRoutes)[number]) => ({
  path: route.path.replace(/:[a-z]+/g, 'no-such-thing'),
  body: route.method === 'POST' ? {} : undefined,
});

describe('every route × every role: allowed, or 403 FORBIDDEN naming the role needed', () => {
  for (const route of apiRoutes) {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const allowed = roleAllows(role, route.role);
      it(`${route.method} ${route.path} as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        const { path, body } = callOf(route);
        const res = await edge.api(route.method, path, body, tokens[role]);
        if (allowed) {
          expect(res.status, JSON.stringify(res.body)).not.toBe(403);
          expect(res.status).not.toBe(401);
        } else {
          expect(res.status).toBe(403);
          expect(res.body).toEqual({
            code: 'FORBIDDEN',
            error: `${route.method} ${path} needs the ${route.role} role; token "t-${role}" has ${role}`,
          });
        }
      });
    }
  }
});

describe('named tokens', () => {
  it('the bootstrap admin token still opens every route, as the principal "admin"', async () => {
    const me = await edge.api('GET', '/api/whoami', undefined, ADMIN);
    expect(me.body).toEqual({ name: 'admin', role: 'admin' });
    expect((await edge.api('GET', '/api/tokens', undefined, ADMIN)).status).toBe(200);
  });

  it('whoami names the token and its role', async () => {
    const me = await edge.api('GET', '/api/whoami', undefined, tokens.operator);
    expect(me.body).toEqual({ name: 't-operator', role: 'operator' });
  });

  it('a route missing from the table needs admin', async () => {
    const viewer = await edge.api('GET', '/api/no-such-route', undefined, tokens.viewer);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error).toContain('needs the admin role');
    const admin = await edge.api('GET', '/api/no-such-route', undefined, tokens.admin);
    expect(admin.status).toBe(404);
  });

  it('a viewer reads hives and logs but cannot install; an operator can', async () => {
    const hive = await edge.enrol('roles-hive');
    const list = await edge.api('GET', '/api/hives', undefined, tokens.viewer);
    expect(list.body.hives.map((h: { name: string }) => h.name)).toContain('roles-hive');
    const refused = await edge.api(
      'POST',
      '/api/installs',
      { hive: hive.id, worker: 'rbee-hello-worker' },
      tokens.viewer,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe(
      'POST /api/installs needs the operator role; token "t-viewer" has viewer',
    );
    const done = await edge.api(
      'POST',
      '/api/installs',
      { hive: hive.id, worker: 'rbee-hello-worker' },
      tokens.operator,
    );
    expect(done.status).toBe(201);
    const logs = await fetch(`${edge.url}/api/jobs/${done.body.job.id}/logs.txt`, {
      headers: { Authorization: `Bearer ${tokens.viewer}` },
    });
    expect(logs.status).toBe(200);
  });

  it('a taken name is refused with 409 TOKEN_EXISTS; the listing never shows hashes', async () => {
    const again = await edge.api('POST', '/api/tokens', { name: 't-viewer', role: 'admin' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('TOKEN_EXISTS');
    const list = await edge.api('GET', '/api/tokens');
    expect(JSON.stringify(list.body)).not.toContain('hash');
    expect(list.body.tokens.find((t: { name: string }) => t.name === 't-viewer')).toMatchObject({
      role: 'viewer',
      created_by: 'admin',
      expires_at: null,
      revoked_at: null,
    });
  });

  it('a bad role or name is refused with the rule', async () => {
    const role = await edge.api('POST', '/api/tokens', { name: 'x', role: 'root' });
    expect(role.status).toBe(400);
    expect(role.body.error).toMatch(/^role: /);
    const name = await edge.api('POST', '/api/tokens', { name: 'Bad Name', role: 'viewer' });
    expect(name.body.error).toBe('name: token names are 1-63 of [a-z0-9._-]');
  });

  it('a revoked token is refused with 401 at once', async () => {
    const made = await edge.api('POST', '/api/tokens', { name: 'short-lived', role: 'admin' });
    const token = made.body.token as string;
    expect((await edge.api('GET', '/api/hives', undefined, token)).status).toBe(200);
    expect((await edge.api('DELETE', '/api/tokens/short-lived')).body).toEqual({
      revoked: 'short-lived',
    });
    const after = await edge.api('GET', '/api/hives', undefined, token);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('the API token is unknown or revoked');
    expect((await edge.api('DELETE', '/api/tokens/nobody')).body.code).toBe('UNKNOWN_TOKEN');
  });

  it('an expired token is refused with 401 naming when it expired', async () => {
    const made = await edge.api('POST', '/api/tokens', {
      name: 'expiring',
      role: 'viewer',
      expires_in: 1,
    });
    expect(made.status).toBe(201);
    const at = made.body.info.expires_at as number;
    // Expiry is compared with the edge's clock; wait until that moment has passed.
    while (Date.now() <= at) await new Promise((r) => setImmediate(r));
    const res = await edge.api('GET', '/api/hives', undefined, made.body.token);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe(
      `the API token "expiring" expired at ${new Date(at).toISOString()}`,
    );
  });
});
