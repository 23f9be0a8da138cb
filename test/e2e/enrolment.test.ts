import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

/** Enrolment over HTTP against a real edge: tokens, uses, expiry, revocation, re-enrolment. */
let edge: Awaited<ReturnType<typeof inProcessEdge>> | null = null;
afterEach(async () => {
  await edge?.close();
  edge = null;
});

async function enrolAt(url: string, token: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/agent/enrol`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: asserted field by field
  return { status: res.status, body: (await res.json()) as any };
}

const machine = (n: number) => `machine-${String(n).padStart(4, '0')}`;

describe('enrolment tokens and POST /agent/enrol', () => {
  it('one token enrols three machines as three hives with its labels; the fourth is refused as used up', async () => {
    edge = await inProcessEdge();
    const created = await edge.api('POST', '/api/enrolment-tokens', {
      name: 'rack 4',
      labels: { rack: '4' },
      max_uses: 3,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^enr_/),
      token: expect.stringMatching(/^rbe_[a-z2-7]{40}$/),
      name: 'rack 4',
      max_uses: 3,
      uses: 0,
      uses_left: 3,
      state: 'active',
    });
    const token = created.body.token as string;
    const hives = [];
    for (const n of [1, 2, 3]) {
      const r = await enrolAt(edge.url, token, {
        hostname: 'gpu.lab.example',
        machine_id: machine(n),
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ reenrolled: false, token: expect.stringMatching(/^rbh_/) });
      hives.push(r.body.hive);
    }
    expect(hives.map((h) => h.name)).toEqual(['gpu', 'gpu-2', 'gpu-3']);
    expect(hives.every((h) => h.labels.rack === '4')).toBe(true);
    const fourth = await enrolAt(edge.url, token, { hostname: 'gpu', machine_id: machine(4) });
    expect(fourth).toEqual({
      status: 403,
      body: {
        code: 'ENROLMENT_TOKEN_USED_UP',
        error: `enrolment token ${created.body.id} allows 3 enrolments (max_uses) and all are used`,
      },
    });
    const listed = await edge.api('GET', '/api/enrolment-tokens');
    expect(listed.body.tokens).toEqual([
      expect.objectContaining({ id: created.body.id, uses: 3, uses_left: 0, state: 'used_up' }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('token_hash');
    expect((await edge.api('GET', '/api/hives')).body.hives).toHaveLength(3);
  });

  it('re-enrolling a machine gives back its hive with a new token; the old token stops working', async () => {
    edge = await inProcessEdge();
    const { token } = (await edge.api('POST', '/api/enrolment-tokens', { max_uses: 1 })).body;
    const first = await enrolAt(edge.url, token, { hostname: 'box', machine_id: machine(1) });
    expect(first.status).toBe(201);
    // The token is used up, but the same machine with the same token is a re-run, not a new hive.
    const again = await enrolAt(edge.url, token, { hostname: 'box', machine_id: machine(1) });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      reenrolled: true,
      hive: { id: first.body.hive.id, name: 'box' },
    });
    expect(again.body.token).not.toBe(first.body.token);
    const me = (t: string) =>
      fetch(`${edge!.url}/agent/me`, { headers: { Authorization: `Bearer ${t}` } });
    expect((await me(first.body.token)).status).toBe(401);
    expect(await (await me(again.body.token)).json()).toEqual({
      hive: first.body.hive.id,
      name: 'box',
    });
    expect((await edge.api('GET', '/api/hives')).body.hives).toHaveLength(1);
  });

  it('re-enrolling closes the socket still open on the old token; the new token connects as the same hive', async () => {
    edge = await inProcessEdge();
    const { token } = (await edge.api('POST', '/api/enrolment-tokens', {})).body;
    const first = await enrolAt(edge.url, token, { hostname: 'box', machine_id: machine(7) });
    const old = new RawAgent(edge.url, first.body.token);
    expect((await old.hello()).hive).toBe(first.body.hive.id);
    // A second socket on the old token still before its hello: cut too.
    const pending = new RawAgent(edge.url, first.body.token);
    await pending.opened;
    const again = await enrolAt(edge.url, token, { hostname: 'box', machine_id: machine(7) });
    expect(again.body).toMatchObject({ reenrolled: true, hive: { id: first.body.hive.id } });
    const refused = await old.next<{ type: string; code: string; message: string }>('error');
    expect(refused).toMatchObject({
      code: 'REVOKED',
      message: 'this hive was enrolled again: its old token was replaced',
    });
    expect((await old.closed).code).toBe(4003);
    expect((await pending.closed).code).toBe(4003);
    const fresh = new RawAgent(edge.url, again.body.token);
    expect((await fresh.hello()).hive).toBe(first.body.hive.id);
    const hives = (await edge.api('GET', '/api/hives')).body.hives;
    expect(hives).toEqual([expect.objectContaining({ id: first.body.hive.id, online: true })]);
    fresh.close();
  });

  it('concurrent enrolments never pass max_uses', async () => {
    edge = await inProcessEdge();
    const { token } = (await edge.api('POST', '/api/enrolment-tokens', { max_uses: 3 })).body;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        enrolAt(edge!.url, token, { hostname: 'node', machine_id: machine(n) }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 403).map((r) => r.body.code)).toEqual(
      Array(7).fill('ENROLMENT_TOKEN_USED_UP'),
    );
    expect((await edge.api('GET', '/api/hives')).body.hives).toHaveLength(3);
  });

  it('a revoked, an expired and an unknown token are refused naming the rule', async () => {
    edge = await inProcessEdge();
    const revoked = (await edge.api('POST', '/api/enrolment-tokens', {})).body;
    expect(await edge.api('DELETE', `/api/enrolment-tokens/${revoked.id}`)).toEqual({
      status: 200,
      body: { revoked: revoked.id },
    });
    const r = await enrolAt(edge.url, revoked.token, { hostname: 'a', machine_id: machine(1) });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('ENROLMENT_TOKEN_REVOKED');
    expect(r.body.error).toMatch(
      new RegExp(`^enrolment token ${revoked.id} was revoked at \\d{4}-`),
    );

    const expiring = (await edge.api('POST', '/api/enrolment-tokens', { expires_in: 1 })).body;
    const expiresAt = expiring.expires_at as number;
    // Waits on the clock passing the expiry, not a fixed sleep.
    await expect
      .poll(
        async () =>
          (await enrolAt(edge!.url, expiring.token, { hostname: 'b', machine_id: machine(2) })).body
            .code,
        { timeout: 10_000, interval: 200 },
      )
      .toBe('ENROLMENT_TOKEN_EXPIRED');
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    const expired = await enrolAt(edge.url, expiring.token, {
      hostname: 'b',
      machine_id: machine(3),
    });
    expect(expired.body.error).toBe(
      `enrolment token ${expiring.id} expired at ${new Date(expiresAt).toISOString()}: ask for a new one`,
    );

    const unknown = await enrolAt(edge.url, `rbe_${'a'.repeat(40)}`, {
      hostname: 'c',
      machine_id: machine(4),
    });
    expect(unknown).toEqual({
      status: 401,
      body: {
        code: 'ENROLMENT_TOKEN_UNKNOWN',
        error:
          'unknown enrolment token: this edge never issued it (mistyped, or from another edge)',
      },
    });
    // Only the expiring token may have enrolled (machine 2, before it expired); nothing else did.
    const names = (await edge.api('GET', '/api/hives')).body.hives.map(
      (h: { name: string }) => h.name,
    );
    expect(names.length <= 1 && names.every((n: string) => n === 'b')).toBe(true);
  });

  it('the admin API needs the admin token; bad bodies name the field', async () => {
    edge = await inProcessEdge();
    expect((await edge.api('POST', '/api/enrolment-tokens', {}, null)).status).toBe(401);
    expect((await edge.api('GET', '/api/enrolment-tokens', undefined, 'rbh_nope')).status).toBe(
      401,
    );
    const bad = await edge.api('POST', '/api/enrolment-tokens', { max_uses: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_REQUEST');
    expect(bad.body.error).toMatch(/max_uses/);
    expect((await edge.api('DELETE', '/api/enrolment-tokens/enr_nope')).status).toBe(404);
    const { token } = (await edge.api('POST', '/api/enrolment-tokens', {})).body;
    const badMachine = await enrolAt(edge.url, token, { hostname: 'x', machine_id: 'a b' });
    expect(badMachine.status).toBe(400);
    expect(badMachine.body.error).toMatch(/machine_id must be 8-128/);
    const noToken = await enrolAt(edge.url, ADMIN, { hostname: 'x', machine_id: machine(1) });
    expect(noToken.status).toBe(401);
    expect(noToken.body.error).toMatch(/needs an Authorization: Bearer rbe_/);
  });
});
