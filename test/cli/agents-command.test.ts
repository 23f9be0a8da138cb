import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAgentRelease } from '../../shared/catalog/agent-release.ts';
import { readPublicKey } from '../../shared/catalog/signature.ts';
import { tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { bundledCli, runCli } from './admin-cli.ts';

/**
 * `rbee agents upgrade` and `rbee agents sign` of the bundled CLI (alone in a folder, plain
 * node) against a real edge serving an agent file; the hives are protocol-level agents, so
 * each upgrade's outcome is the test's choice. The real agent's side is
 * test/agent/bundle-upgrade-signed.test.ts.
 */
type Edge = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: Edge;
let cli: string;
const dir = tempDir('agents-cli');
const bundle = join(dir, 'rbee-agent.mjs');
const bundleText = '#!/usr/bin/env node\n// rbee-agent 0.3.0\nconsole.log("agent");\n';
const sha256 = createHash('sha256').update(bundleText).digest('hex');
const env = () => ({ RBEE_EDGE: edge.url, RBEE_ADMIN_TOKEN: ADMIN });
const rbee = (...args: string[]) => runCli(cli, args, env());

beforeAll(async () => {
  writeFileSync(bundle, bundleText);
  process.env.RBEE_AGENT_BUNDLE = bundle;
  [cli, edge] = await Promise.all([bundledCli(), inProcessEdge()]);
}, 120_000);
afterAll(async () => {
  await edge?.close();
  delete process.env.RBEE_AGENT_BUNDLE;
});

/** A hive whose agent is this test, saying it can replace itself (or not). */
async function hive(name: string, upgradable: boolean, labels: Record<string, string> = {}) {
  const h = await edge.enrol(name, labels);
  const agent = new RawAgent(edge.url, h.token);
  await agent.hello([], { agent_version: '0.2.0', hostname: name, upgradable });
  return { ...h, agent };
}

type JobMsg = { type: string; job: { id: string; agent: Record<string, unknown> } };
/** Takes the next upgrade job and ends it as told. */
async function endNext(agent: RawAgent, outcome: 'succeeded' | 'failed') {
  const msg = await agent.next<JobMsg>('job');
  agent.send({
    type: 'job_done',
    job: msg.job.id,
    outcome,
    total: 0,
    ...(outcome === 'failed' ? { error: { step: 'verify', message: 'refused' } } : {}),
  });
  await agent.next('done_ack');
  return msg.job;
}

describe('rbee agents', () => {
  it('is listed by rbee --help and has its own --help', async () => {
    const help = await rbee('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /^ {2}agents +admin: upgrade hives to the edge agent \(a rollout\)/m,
    );
    const own = await rbee('agents', '--help');
    expect(own.code).toBe(0);
    expect(own.stdout).toContain('rbee agents upgrade (--hives A,B | --selector k=v ...)');
    expect(own.stdout).toContain('rbee agents sign --key FLEET.key [BUNDLE]');
    expect(own.stdout).toContain('--canary N');
  });

  it('upgrade: a rollout of the edge agent, skipped hives named, -f exits with its outcome', async () => {
    const a = await hive('ag-a', true, { pool: 'ag' });
    const b = await hive('ag-b', false, { pool: 'ag' });
    const plain = await rbee('agents', 'upgrade', '--hives', 'ag-a,ag-b', '--max-concurrency', '1');
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(
      /^rollout ro_\S+: upgrade 1 hive to agent 0\.3\.0 \(NOT signed by a fleet key: agents that trust one refuse it \(UNSIGNED_AGENT\)/m,
    );
    expect(plain.stderr).toMatch(/^skipped ag-b \(not_upgradable\): its agent \(0\.2\.0\)/m);
    const first = await endNext(a.agent, 'succeeded');
    expect(first.agent).toEqual({ version: '0.3.0', sha256 });

    // --follow with --canary and --max-errors: the failed canary stops the rollout (exit 7).
    const c = await hive('ag-c', true, { pool: 'ag' });
    const followed = rbee(
      'agents',
      'upgrade',
      '--selector',
      'pool=ag',
      '--canary',
      '1',
      '--max-errors',
      '1',
      '-f',
    );
    const canary = await Promise.race([
      endNext(a.agent, 'failed').then(() => 'ag-a'),
      endNext(c.agent, 'failed').then(() => 'ag-c'),
    ]);
    expect(['ag-a', 'ag-c']).toContain(canary);
    const done = await followed;
    expect(done.stderr).toMatch(/upgrade 2 hives to agent 0\.3\.0/);
    expect(done.stderr).toMatch(/rollout ro_\S+ stopped: .*1 failed/);
    expect(done.code).toBe(7);
    // --json prints the answer as the edge gave it.
    const json = await rbee('agents', 'upgrade', '--hives', 'ag-b', '--json');
    expect(json.code).toBe(5); // nothing to upgrade: 409
    expect(json.stderr).toContain('NOTHING_TO_UPGRADE');
    b.agent.close();
  }, 60_000);

  it('sign: signs the local file with the fleet key; the next upgrade jobs carry it', async () => {
    const keys = await rbee('keys', 'generate', '--out', join(dir, 'fleet'));
    expect(keys.code, keys.stderr).toBe(0);
    const signed = await rbee('agents', 'sign', '--key', join(dir, 'fleet.key'), bundle);
    expect(signed.code, signed.stderr).toBe(0);
    const pub = await readPublicKey(await readFile(join(dir, 'fleet.pub'), 'utf8'));
    expect(signed.stdout).toBe(
      `signed agent 0.3.0 (sha256 ${sha256}, ${bundleText.length} bytes) with fleet key ${pub.id}\n`,
    );
    const d = await hive('ag-d', true);
    const run = rbee('agents', 'upgrade', '--hives', 'ag-d', '--json', '-f');
    const job = await endNext(d.agent, 'succeeded');
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`(signed by fleet key ${pub.id})`);
    // What the hive got verifies against the fleet's public key, for this very file.
    const release = await verifyAgentRelease({
      signature: job.agent.signature,
      trusted: [pub],
      version: '0.3.0',
      sha256,
    });
    expect(release).toMatchObject({ format: 'rbee-agent/1', size: bundleText.length });
  }, 60_000);

  it('refusals: usage (2), a role too low (3), an unknown hive (4)', async () => {
    const none = await rbee('agents', 'upgrade');
    expect(none).toMatchObject({ code: 2 });
    expect(none.stderr).toContain('give exactly one of --hives or --selector');
    expect((await rbee('agents', 'upgrade', '--hives', 'x', '--canary', '0')).stderr).toContain(
      '--canary must be a positive integer, got "0"',
    );
    expect((await rbee('agents')).stderr).toContain('missing subcommand: upgrade or sign');
    expect((await rbee('agents', 'sign', bundle)).stderr).toContain('--key FILE is required');
    const notBundle = join(dir, 'not-an-agent.mjs');
    writeFileSync(notBundle, 'console.log(1)\n');
    const wrong = await rbee('agents', 'sign', '--key', join(dir, 'fleet.key'), notBundle);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('is not an agent bundle');
    const badKey = await rbee('agents', 'sign', '--key', notBundle, bundle);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain(`cannot use --key ${notBundle}: BAD_KEY`);
    const viewer = (await edge.api('POST', '/api/tokens', { name: 'ag-viewer', role: 'viewer' }))
      .body.token as string;
    const low = await runCli(cli, ['agents', 'sign', '--key', join(dir, 'fleet.key'), bundle], {
      RBEE_EDGE: edge.url,
      RBEE_ADMIN_TOKEN: viewer,
    });
    expect(low.code).toBe(3);
    expect(low.stderr).toContain('needs the admin role');
    const unknown = await rbee('agents', 'upgrade', '--hives', 'nope');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('UNKNOWN_HIVE');
  }, 60_000);
});
