import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(res.body.agent).toEqual({ version: '0.2.0', sha256 });
    expect(res.body.rollout).toMatchObject({
      kind: 'upgrade',
      worker: 'rbee-agent',
      state: 'running',
      counts: { total: 1 },
    });
    expect(res.body.skipped).toEqual([
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
    expect(job.job.expires_at).toBeGreaterThan(Date.now());
    expect(cb.agent.received.some((m) => m.type === 'job')).toBe(false);
    const audit = (await fleet.api('GET', '/api/audit?limit=5')).body.entries;
    expect(audit[0]).toMatchObject({ action: 'agent.upgrade', status: 201, actor: 'admin' });
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
