import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, repoRoot, tempDir } from '../support/edge-process.ts';
import { adminApi } from '../support/fleet.ts';
import { startBundleEdge, stateIn } from './bundle-support.ts';

/**
 * The single executable (Node's single-executable applications): built by
 * scripts/build-agent.mjs, copied alone into an empty folder and run with a PATH that has no
 * node on it, it says its version, enrols with an enrolment token and connects to a real edge.
 */
let edge: EdgeProcess;
let exe: string;
let bundle: string;
const api = adminApi(() => edge.url);

/** A bin folder with the few tools the agent calls, and no node. */
function pathWithoutNode(): string {
  const bin = tempDir('no-node-bin');
  for (const tool of ['sh', 'bash', 'uname', 'id', 'cat', 'flock', 'bwrap', 'env']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

beforeAll(async () => {
  const out = tempDir('sea-build');
  bundle = join(out, 'rbee-agent.mjs');
  const built = spawnSync(
    process.execPath,
    ['scripts/build-agent.mjs', '--out', bundle, '--sea', join(out, 'rbee-agent')],
    { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 },
  );
  if (built.status !== 0) throw new Error(`build-agent failed: ${built.stderr}${built.stdout}`);
  expect(built.stdout).toMatch(/built .*rbee-agent: single executable for linux-x64/);
  const lonely = tempDir('sea-hive');
  mkdirSync(lonely, { recursive: true });
  exe = join(lonely, 'rbee-agent');
  copyFileSync(join(out, 'rbee-agent'), exe);
  spawnSync('chmod', ['755', exe]);
  edge = await startBundleEdge(bundle);
}, 300_000);
afterAll(async () => {
  await edge?.stop('SIGKILL');
});

describe('the single executable', () => {
  it('runs with no node on PATH: prints its version, enrols and connects', async () => {
    const bin = pathWithoutNode();
    const env = { PATH: bin, HOME: tempDir('sea-home') };
    expect(spawnSync('sh', ['-c', 'command -v node'], { env }).status).not.toBe(0);
    const version = spawnSync(exe, ['version'], { env, encoding: 'utf8', cwd: join(exe, '..') });
    expect(version.stderr).toBe('');
    expect(version.stdout).toMatch(
      /^rbee-agent 0\.1\.0 \(single executable, node 20\.\d+\.\d+\)\n$/,
    );

    const { token } = (await api('POST', '/api/enrolment-tokens', { labels: { kind: 'sea' } }))
      .body;
    const state = stateIn(tempDir('sea-state'), 'state');
    const child = spawn(
      exe,
      [
        'run',
        '--edge',
        edge.url,
        '--enrol',
        token,
        '--machine-id',
        'machine-sea-0001',
        '--state',
        state,
        '--install-root',
        join(state, 'root'),
        '--allow-unsigned',
      ],
      { env, cwd: join(exe, '..') },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => out, { timeout: 60_000 }).toContain('rbee agent connected to');
      const hives = (await api('GET', '/api/hives')).body.hives;
      const hive = hives.find((h: { labels: Record<string, string> }) => h.labels.kind === 'sea');
      expect(hive).toMatchObject({
        online: true,
        agent_version: '0.1.0',
        // It is replaced by reinstalling it, not by upgrade jobs.
        agent_upgradable: false,
      });
      expect(out).not.toContain('Warning');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('a build machine whose node has no SEA fuse gets the reason, and the .mjs only', () => {
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('./scripts/build-agent.mjs'); console.log(m.seaBlocker('/bin/sh'));",
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(probe.stdout.trim()).toBe(
      '/bin/sh has no single-executable fuse (a distribution build of node that left it out)',
    );
  });
});
