import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAgentRelease } from '../../shared/catalog/agent-release.ts';
import { generateKeyPair, readPrivateKey, signPayload } from '../../shared/catalog/signature.ts';
import { ApiError, createClient } from '../../shared/client/index.ts';
import { tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

/**
 * `POST /api/agents/upgrade` on a real edge with raw protocol clients: who gets an upgrade job
 * and what it carries, who is skipped and why, and what welcome and the hive API say about the
 * edge's agent. The agent's side of an upgrade is test/agent/bundle-upgrade.test.ts.
 */
const bundleText = '#!/usr/bin/env node\n// rbee-agent 0.2.0\nconsole.log("x");\n';
const sha256 = createHash('sha256').update(bundleText).digest('hex');
let fleet: Awaited<ReturnType<typeof inProcessEdge>>;
const agents: RawAgent[] = [];

beforeAll(async () => {
  const bundle = join(tempDir('upgrade-api'), 'rbee-agent.mjs');
  writeFileSync(bundle, bundleText);
  process.env.RBEE_AGENT_BUNDLE = bundle;
  fleet = await inProcessEdge();
}, 60_000);
afterAll(async () => {
  for (const a of agents) a.close();
  await fleet?.close();
  delete process.env.RBEE_AGENT_BUNDLE;
});

/** A raw agent that says hello, saying it can upgrade itself or not. */
async function connect(token: string, upgradable: boolean, version = '0.1.0') {
  const agent = new RawAgent(fleet.url, token);
  agents.push(agent);
  await agent.opened;
  agent.send({
    type: 'hello',
    agent_version: version,
    protocol: 1,
    platform: { os: 'linux', arch: 'x86_64', accelerators: [], hostname: 'h' },
    installed: [],
    jobs: [],
    ...(upgradable ? { upgradable: true } : {}),
  });
  return { agent, welcome: await agent.next<{ type: string; agent?: unknown }>('welcome') };
}

describe('POST /api/agents/upgrade', () => {
  it('sends upgrade jobs naming the edge agent to agents that can upgrade, and skips the rest', async () => {
    const a = await fleet.enrol('up-a', { pool: 'x' });
    const b = await fleet.enrol('up-b', { pool: 'x' });
    const c = await fleet.enrol('up-c', { pool: 'x' });
    const ca = await connect(a.token, true);
    const cb = await connect(b.token, false);
    await connect(c.token, true, '0.2.0');
    // welcome names the edge's agent only to agents that said they can replace themselves.
    expect(ca.welcome.agent).toEqual({ version: '0.2.0', sha256 });
    expect(cb.welcome.agent).toBeUndefined();
    const hives = (await fleet.api('GET', '/api/hives')).body.hives;
    const byName = Object.fromEntries(hives.map((h: { name: string }) => [h.name, h]));
    expect(byName['up-a']).toMatchObject({
      agent_version: '0.1.0',
      agent_upgradable: true,
      edge_agent_version: '0.2.0',
      agent_outdated: true,
    });
    expect(byName['up-b']).toMatchObject({ agent_upgradable: false, agent_outdated: true });
    expect(byName['up-c']).toMatchObject({ agent_outdated: false });

    const res = await fleet.api('POST', '/api/agents/upgrade', {
      selector: { labels: { pool: 'x' } },
      max_concurrency: 1,
    });
    expect(res.status).toBe(201);
    expect(res.body.agent).toEqual({ version: '0.2.0', sha256, signed_by: null });
    expect(res.body.rollout).toMatchObject({
      kind: 'upgrade',
      worker: 'rbee-agent',
      state: 'running',
      counts: { total: 1 },
    });
    // In the store's order (by id): sorted here.
    const skipped = [...res.body.skipped].sort((x, y) => x.name.localeCompare(y.name));
    expect(skipped).toEqual([
      expect.objectContaining({ hive: b.id, reason: 'not_upgradable' }),
      expect.objectContaining({ hive: c.id, reason: 'current' }),
    ]);
    const job = await ca.agent.next<{ type: string; job: Record<string, unknown> }>('job');
    expect(job.job).toMatchObject({
      id: res.body.jobs[0].id,
      kind: 'upgrade',
      worker: 'rbee-agent',
      hive: a.id,
      agent: { version: '0.2.0', sha256 },
      timeout_ms: 600_000,
    });
    expect((job.job.agent as Record<string, unknown>).signature).toBeUndefined();
    expect(job.job.expires_at).toBeGreaterThan(Date.now());
    expect(cb.agent.received.some((m) => m.type === 'job')).toBe(false);
    const audit = (await fleet.api('GET', '/api/audit?limit=5')).body.entries;
    expect(audit[0]).toMatchObject({ action: 'agent.upgrade', status: 201, actor: 'admin' });
  });

  it('stores the fleet key signature of an agent file, serves it, and puts it in every upgrade job', async () => {
    const unsigned = await fleet.api('GET', '/agent/signature', undefined, null);
    expect(unsigned).toMatchObject({ status: 404, body: { code: 'UNSIGNED_AGENT' } });
    const fleetKey = await generateKeyPair();
    const key = await readPrivateKey(fleetKey.privatePem);
    const envelope = await signAgentRelease(
      { version: '0.2.0', sha256, size: bundleText.length },
      key,
      Date.now(),
    );
    // An operator may not store one; an admin may, audited.
    const operator = (await fleet.api('POST', '/api/tokens', { name: 'sign-op', role: 'operator' }))
      .body.token as string;
    const refused = await fleet.api('POST', '/api/agents/signed', envelope, operator);
    expect(refused.status).toBe(403);
    const stored = await fleet.api('POST', '/api/agents/signed', envelope);
    expect(stored).toMatchObject({
      status: 201,
      body: { version: '0.2.0', sha256, key_id: key.id, serving: true, size: bundleText.length },
    });
    expect((await fleet.api('GET', '/api/audit?action=agent.sign')).body.entries[0]).toMatchObject({
      status: 201,
      actor: 'admin',
    });
    // Served with the file (no token: it holds no secret), and named by /agent/version.
    expect((await fleet.api('GET', '/agent/signature', undefined, null)).body).toEqual(envelope);
    expect((await fleet.api('GET', '/agent/version', undefined, null)).body).toMatchObject({
      version: '0.2.0',
      sha256,
      signed_by: key.id,
    });
    // A signature for another file is kept for it, and said not to be the one served.
    const other = await signAgentRelease(
      { version: '0.3.0', sha256: 'b'.repeat(64), size: 1 },
      key,
      1,
    );
    expect((await fleet.api('POST', '/api/agents/signed', other)).body.serving).toBe(false);
    expect((await fleet.api('GET', '/agent/signature', undefined, null)).body).toEqual(envelope);
    // Not an agent release: refused, naming the rule (the edge checks the shape, not the key).
    const wrong = await signPayload(JSON.stringify({ format: 'rbee-builders/1' }), key);
    const bad = await fleet.api('POST', '/api/agents/signed', wrong);
    expect(bad).toMatchObject({ status: 400, body: { code: 'BAD_AGENT_SIGNATURE' } });
    expect(bad.body.error).toContain('BAD_AGENT_SIGNATURE: the payload is not an agent release');

    const e = await fleet.enrol('up-signed');
    const ce = await connect(e.token, true);
    const res = await fleet.api('POST', '/api/agents/upgrade', { hives: ['up-signed'] });
    expect(res.status).toBe(201);
    expect(res.body.agent).toEqual({ version: '0.2.0', sha256, signed_by: key.id });
    const job = await ce.agent.next<{ type: string; job: Record<string, unknown> }>('job');
    expect(job.job.agent).toEqual({ version: '0.2.0', sha256, signature: envelope });
  });

  it('refuses when no hive would change, naming why', async () => {
    const d = await fleet.enrol('up-d');
    await connect(d.token, false);
    // Through the typed client, as the CLI and the dashboard call it.
    const client = createClient({ edge: fleet.url, token: ADMIN });
    const error = await client.upgradeAgents({ hives: ['up-d'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'NOTHING_TO_UPGRADE' });
    expect((error as ApiError).message).toMatch(
      /^no hive to upgrade to agent 0\.2\.0: up-d: its agent \(0\.1\.0\) did not say it can replace itself/,
    );
    const unknown = await fleet.api('POST', '/api/agents/upgrade', { hives: ['nope'] });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'UNKNOWN_HIVE' } });
    const both = await fleet.api('POST', '/api/agents/upgrade', { hives: ['up-d'], selector: {} });
    expect(both.status).toBe(400);
    expect(both.body.error).toContain('give exactly one of hives or selector');
  });

  it('says NO_AGENT_BUNDLE on an edge that serves no agent', async () => {
    process.env.RBEE_AGENT_BUNDLE = join(tempDir('no-bundle'), 'missing.mjs');
    const bare = await inProcessEdge();
    try {
      await bare.enrol('lonely');
      const res = await bare.api('POST', '/api/agents/upgrade', { hives: ['lonely'] });
      expect(res).toMatchObject({ status: 404, body: { code: 'NO_AGENT_BUNDLE' } });
      const hive = (await bare.api('GET', '/api/hives/lonely')).body;
      expect(hive).toMatchObject({ edge_agent_version: null, agent_outdated: null });
    } finally {
      await bare.close();
    }
  });
});
