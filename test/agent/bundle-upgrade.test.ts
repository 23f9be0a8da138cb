import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, tempDir } from '../support/edge-process.ts';
import { adminApi } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { buildBundle, hiveEnv, startBundleEdge, stateIn } from './bundle-support.ts';
import { type Supervisor, supervise } from './bundle-upgrade-supervisor.ts';

/**
 * Upgrades as rollouts (`POST /api/agents/upgrade`) with two real bundles (0.1.0 → 0.1.1), then
 * a new agent that passes its self-check but dies at start (rolled back by the unit's
 * ExecStopPost script, the job failed saying so), then one that fails its self-check (never
 * swapped in). A small supervisor plays systemd: Restart=on-failure,
 * RestartPreventExitStatus=77 78, ExecStopPost with $EXIT_STATUS.
 */
let edge: EdgeProcess;
let v1: string;
let v2: string;
const edgeBundle = join(tempDir('edge-bundle'), 'rbee-agent.mjs');
const api = adminApi(() => edge.url);
let supervisor: Supervisor | undefined;

beforeAll(async () => {
  v1 = buildBundle('0.1.0');
  v2 = buildBundle('0.1.1');
  copyFileSync(v1, edgeBundle);
  edge = await startBundleEdge(edgeBundle);
}, 120_000);
afterAll(async () => {
  await supervisor?.stop();
  await edge?.stop('SIGKILL');
});

/** GET on a fresh connection (no keep-alive socket the edge may have closed). */
// biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
type Json = Record<string, any>;
const getJson = (path: string) =>
  new Promise<Json>((resolve, reject) => {
    const req = httpGet(
      `${edge.url}${path}`,
      { agent: false, headers: { Authorization: `Bearer ${ADMIN}` } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject);
  });
const hiveVersion = (id: string) => getJson(`/api/hives/${id}`);

/** Starts an upgrade rollout of one hive and waits for it to end; returns the ended job. */
async function upgradeRollout(hive: string) {
  const started = await api('POST', '/api/agents/upgrade', { hives: [hive], max_concurrency: 1 });
  expect(started.status).toBe(201);
  expect(started.body.rollout).toMatchObject({ kind: 'upgrade', worker: 'rbee-agent' });
  expect(started.body.jobs).toHaveLength(1);
  const id = started.body.rollout.id as string;
  await expect
    .poll(async () => (await getJson(`/api/rollouts/${id}`)).rollout.ended_at, { timeout: 90_000 })
    .not.toBeNull();
  const rollout = (await getJson(`/api/rollouts/${id}`)).rollout;
  const job = (await getJson(`/api/jobs/${started.body.jobs[0].id}`)).job;
  return { started: started.body, rollout, job };
}

/** Files are compared by sha256: a deep equality of two 1 MiB buffers takes seconds. */
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('agent upgrades as rollouts', () => {
  it('swaps in a newer bundle after checking it, and rolls back one that dies at start', async () => {
    const prefix = tempDir('upgrade-prefix');
    const bundle = join(prefix, 'rbee-agent.mjs');
    copyFileSync(v1, bundle);
    const state = stateIn(prefix, 'state');
    const hive = (await api('POST', '/api/hives', { name: 'upgrader' })).body;
    writeFileSync(join(state, 'hive.token'), `${hive.token}\n`, { mode: 0o600 });
    const installed = spawnSync(
      process.execPath,
      [
        bundle,
        'install-service',
        '--edge',
        edge.url,
        '--prefix',
        prefix,
        '--state',
        state,
        '--unit-dir',
        join(prefix, 'units'),
        '--no-start',
        '--allow-unsigned',
      ],
      { encoding: 'utf8', env: hiveEnv() },
    );
    expect(installed.status).toBe(0);
    const rollback = join(prefix, 'bin', 'rbee-agent-rollback');
    supervisor = supervise(
      bundle,
      rollback,
      [
        '--edge',
        edge.url,
        '--state',
        state,
        '--install-root',
        join(state, 'root'),
        '--backoff-cap',
        '300',
        '--allow-unsigned',
      ],
      {},
    );
    await expect
      .poll(async () => (await hiveVersion(hive.id)).agent_version, { timeout: 60_000 })
      .toBe('0.1.0');
    expect(await hiveVersion(hive.id)).toMatchObject({
      online: true,
      agent_upgradable: true,
      edge_agent_version: '0.1.0',
      agent_outdated: false,
    });
    // Nothing is older than the edge's agent: the rollout is refused, naming why.
    const none = await api('POST', '/api/agents/upgrade', { hives: [hive.id] });
    expect(none.status).toBe(409);
    expect(none.body.code).toBe('NOTHING_TO_UPGRADE');
    expect(none.body.error).toContain('its agent 0.1.0 is not older than 0.1.0');

    // 1. The edge gets 0.1.1: the hive is marked outdated; the rollout's job downloads, checks,
    // swaps, exits 75, and the new agent reports the job succeeded at its first welcome.
    copyFileSync(v2, edgeBundle);
    expect(await hiveVersion(hive.id)).toMatchObject({
      agent_version: '0.1.0',
      edge_agent_version: '0.1.1',
      agent_outdated: true,
    });
    const first = await upgradeRollout(hive.id);
    expect(first.started.agent).toEqual({ version: '0.1.1', sha256: digest(v2), signed_by: null });
    expect(first.started.skipped).toEqual([]);
    expect(first.rollout).toMatchObject({ state: 'succeeded', counts: { succeeded: 1 } });
    expect(first.job).toMatchObject({ kind: 'upgrade', state: 'succeeded', error: null });
    expect(supervisor.output()).toContain('upgrade to 0.1.1 confirmed');
    expect(supervisor.exits).toEqual([75]);
    expect(digest(bundle)).toBe(digest(v2));
    expect(digest(`${bundle}.prev`)).toBe(digest(v1));
    expect(existsSync(join(state, 'upgrade.pending'))).toBe(false);
    const log = await (
      await fetch(`${edge.url}/api/jobs/${first.job.id}/logs.txt`, {
        headers: { Authorization: `Bearer ${ADMIN}` },
      })
    ).text();
    expect(log).toContain('download');
    expect(log).toContain('self-check');
    expect(log).toContain('rbee-agent 0.1.1 connected: upgrade confirmed');
    expect(await hiveVersion(hive.id)).toMatchObject({
      agent_version: '0.1.1',
      agent_outdated: false,
    });
    // The audit log has the call, with its principal.
    const audit = await getJson('/api/audit?limit=20');
    expect(audit.entries.map((e: { action: string }) => e.action)).toContain('agent.upgrade');

    // 2. 0.1.2 passes its self-check but dies when run: ExecStopPost puts 0.1.1 back, which
    // reports the job failed.
    writeFileSync(
      edgeBundle,
      [
        '#!/usr/bin/env node',
        '// rbee-agent 0.1.2',
        "if (process.argv[2] === 'self-check') { console.log('rbee-agent 0.1.2 ok hive x'); process.exit(0); }",
        "console.error('deliberately broken agent'); process.exit(1);",
        '',
      ].join('\n'),
    );
    const second = await upgradeRollout(hive.id);
    expect(second.rollout).toMatchObject({ state: 'failed', counts: { failed: 1 } });
    expect(second.job).toMatchObject({ state: 'failed' });
    expect(second.job.error).toMatchObject({
      step: 'restart',
      message: 'agent 0.1.2 did not connect after the swap; agent 0.1.1 was put back',
    });
    expect(supervisor.output()).toContain(
      'rbee-agent-rollback: the upgraded agent exited with 1 before connecting; previous agent restored',
    );
    expect(supervisor.exits).toEqual([75, 75, 1]);
    expect(supervisor.output()).toContain('deliberately broken agent');
    expect(digest(bundle)).toBe(digest(v2));
    expect(JSON.parse(readFileSync(join(state, 'upgrade.rolled-back'), 'utf8'))).toMatchObject({
      from: '0.1.1',
      to: '0.1.2',
      job: second.job.id,
    });
    await expect
      .poll(async () => (await hiveVersion(hive.id)).online, { timeout: 30_000 })
      .toBe(true);
    expect(await hiveVersion(hive.id)).toMatchObject({
      agent_version: '0.1.1',
      agent_outdated: true,
    });

    // 3. 0.1.3 fails its self-check: never swapped in, the running agent stays.
    writeFileSync(edgeBundle, '#!/usr/bin/env node\n// rbee-agent 0.1.3\nprocess.exit(3);\n');
    const third = await upgradeRollout(hive.id);
    expect(third.job).toMatchObject({ state: 'failed' });
    expect(third.job.error.step).toBe('self-check');
    expect(third.job.error.message).toMatch(/self-check failed \(3\)/);
    expect(digest(bundle)).toBe(digest(v2));
    expect(existsSync(`${bundle.replace(/\.mjs$/, '')}.next.mjs`)).toBe(false);
    expect(supervisor.exits).toEqual([75, 75, 1]);
    expect((await hiveVersion(hive.id)).online).toBe(true);
    await supervisor.stop();
  }, 240_000);
});
