import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';

type Edge = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: Edge;
let operator = '';
let viewer = '';
const started = Date.now();

beforeAll(async () => {
  edge = await inProcessEdge();
  operator = (await edge.api('POST', '/api/tokens', { name: 'ci', role: 'operator' })).body.token;
  viewer = (await edge.api('POST', '/api/tokens', { name: 'watcher', role: 'viewer' })).body.token;
}, 60_000);
afterAll(() => edge.close());

type Entry = { actor: string; action: string; target: string | null; status: number };
const audit = async (query = '') =>
  (await edge.api('GET', `/api/audit${query}`)).body.entries as Entry[];

describe('the audit log', () => {
  it('records each change with actor, role, action, target, status, time and source', async () => {
    const hive = await edge.enrol('audited');
    const install = await edge.api(
      'POST',
      '/api/installs',
      { hive: 'audited', worker: 'rbee-hello-worker' },
      operator,
    );
    const job = install.body.job.id as string;
    expect((await edge.api('POST', `/api/jobs/${job}/cancel`, undefined, operator)).status).toBe(
      202,
    );
    expect((await edge.api('DELETE', `/api/hives/${hive.id}`)).status).toBe(200);
    const entries = (await edge.api('GET', '/api/audit')).body.entries;
    const [del, cancel, inst, create] = entries;
    expect(del).toMatchObject({ actor: 'admin', role: 'admin', action: 'hive.delete' });
    expect(del.target).toBe(hive.id);
    expect(cancel).toMatchObject({ actor: 'ci', action: 'job.cancel', target: job, status: 202 });
    expect(inst).toMatchObject({
      actor: 'ci',
      role: 'operator',
      action: 'worker.install',
      target: 'worker=rbee-hello-worker hive=audited',
      status: 201,
    });
    expect(create).toMatchObject({ action: 'hive.create', target: 'name=audited', status: 201 });
    for (const e of [del, cancel, inst, create]) {
      expect(e.source).toMatch(/127\.0\.0\.1/);
      expect(e.at).toBeGreaterThanOrEqual(started);
      expect(e.id).toMatch(/^aud_/);
    }
  });

  it('records token creation and revocation by their names', async () => {
    await edge.api('POST', '/api/tokens', { name: 'temp', role: 'viewer' });
    await edge.api('DELETE', '/api/tokens/temp');
    const [revoke, create] = await audit();
    expect(revoke).toMatchObject({ action: 'token.revoke', target: 'temp', status: 200 });
    expect(create).toMatchObject({ action: 'token.create', target: 'name=temp', status: 201 });
  });

  it('records a refused change by a known token (403), but not a stranger (401)', async () => {
    const refused = await edge.api(
      'POST',
      '/api/installs',
      { hive: 'x', worker: 'rbee-hello-worker' },
      viewer,
    );
    expect(refused.status).toBe(403);
    await edge.api('POST', '/api/installs', { hive: 'x', worker: 'w' }, 'rbt_stranger');
    await edge.api('POST', '/api/installs', { hive: 'x', worker: 'w' }, null);
    const [last] = await audit();
    expect(last).toMatchObject({ actor: 'watcher', action: 'worker.install', status: 403 });
    expect((await audit('?actor=rbt_stranger')).length).toBe(0);
  });

  it('reads are not recorded, and filters by actor, action and since work', async () => {
    const before = (await audit('?limit=1000')).length;
    await edge.api('GET', '/api/hives', undefined, operator);
    await edge.api('GET', '/api/jobs', undefined, viewer);
    expect((await audit('?limit=1000')).length).toBe(before);
    expect((await audit('?actor=ci')).map((e) => e.action)).toEqual([
      'job.cancel',
      'worker.install',
    ]);
    expect((await audit('?action=token.create')).length).toBe(3);
    expect(await audit(`?since=${Date.now() + 60_000}`)).toEqual([]);
    const bad = await edge.api('GET', '/api/audit?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^since: /);
  });

  it('is append-only through the API: no route changes or removes entries', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await edge.api(method, '/api/audit', {}, ADMIN);
      expect(res.status, method).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('a viewer can read it', async () => {
    const res = await edge.api('GET', '/api/audit', undefined, viewer);
    expect(res.status).toBe(200);
  });
});
