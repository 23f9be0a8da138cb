import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readManifest } from '../../../agent/install/manifest.ts';
import type { EdgeProcess } from '../../support/edge-process.ts';
import { tempDir } from '../../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  followJob,
  startAgentProcess,
  startEdgeProcess,
} from '../../support/fleet.ts';
import { writeHelloVariant } from './catalog-server.ts';

const worker = 'rbee-crash-worker';

/** A catalog folder with the demo worker under its own id, at a version. */
function catalogAt(variant: Parameters<typeof writeHelloVariant>[1]) {
  const dir = tempDir('crash-catalog');
  writeHelloVariant(dir, variant);
  renameSync(join(dir, 'rbee-hello-worker'), join(dir, worker));
  const path = join(dir, worker, 'worker.json');
  const entry = JSON.parse(readFileSync(path, 'utf8'));
  writeFileSync(path, JSON.stringify({ ...entry, id: worker, implementation: worker }));
  const pkgbuild = join(dir, worker, 'PKGBUILD');
  writeFileSync(
    pkgbuild,
    readFileSync(pkgbuild, 'utf8').replace('pkgname=rbee-hello-worker', `pkgname=${worker}`),
  );
  return dir;
}

/** Every file under the root (staging folders included) with its SHA-256 and mode. */
function snapshot(root: string) {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else
        out[relative(root, path)] =
          `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${statSync(path).mode.toString(8)}`;
    }
  };
  walk(root);
  return out;
}

/** Resolves when the agent prints `text`: the test acts on the event, not after a sleep. */
function printed(agent: AgentProcess, text: string) {
  return new Promise<void>((resolve) => {
    const look = () => {
      if (!agent.output().includes(text)) return;
      agent.child.stdout?.off('data', look);
      resolve();
    };
    agent.child.stdout?.on('data', look);
    look();
  });
}

const edges: EdgeProcess[] = [];
const agents: AgentProcess[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop('SIGKILL');
  for (const e of edges.splice(0)) await e.stop('SIGKILL');
  delete process.env.RBEE_TEST_PAUSE_INSTALL;
});

describe('install survives kill -9 of the agent between two moves of an upgrade', () => {
  test('the next agent rolls the upgrade back before taking jobs: one version, a correct manifest, then the upgrade works', async () => {
    const data = tempDir('crash-edge');
    const state = tempDir('crash-agent');
    const root = join(state, 'root');
    let edge = await startEdgeProcess(['--catalog', catalogAt({})], data);
    edges.push(edge);
    const api = adminApi(() => edge.url);
    const { token } = (await api('POST', '/api/hives', { name: 'crash' })).body;
    const install = async () => {
      const job = (await api('POST', '/api/installs', { force: true, hive: 'crash', worker })).body
        .job;
      await followJob(edge.url, job.id);
      return (await api('GET', `/api/jobs/${job.id}`)).body.job;
    };

    // 1.0.0 installed by an ordinary agent.
    let agent = startAgentProcess(edge.url, token, state);
    agents.push(agent);
    expect((await install()).state).toBe('succeeded');
    await agent.stop();
    const v1 = snapshot(root);
    const manifest1 = await readManifest(state, worker);
    expect(manifest1!.version).toBe('1.0.0-1');

    // The edge now serves 1.1.0; the agent stops for good after the second move.
    await edge.stop();
    edge = await startEdgeProcess(
      [
        '--catalog',
        catalogAt({
          version: '1.1.0',
          conf: 'greeting="v2"\n',
          extraFile: 'usr/local/lib/rbee/extra.conf',
        }),
      ],
      data,
    );
    edges.push(edge);
    process.env.RBEE_TEST_PAUSE_INSTALL = '2';
    agent = startAgentProcess(edge.url, token, state);
    delete process.env.RBEE_TEST_PAUSE_INSTALL;
    agents.push(agent);
    const job = (await api('POST', '/api/installs', { force: true, hive: 'crash', worker })).body
      .job;
    await printed(agent, 'rbee-test: install paused after move 2');
    // Half-way: the config file is 1.1.0's already, the old manifest still on disk.
    expect(readFileSync(join(root, 'etc/rbee/hello-worker.conf'), 'utf8')).toBe('greeting="v2"\n');
    expect(readdirSync(join(state, 'journal'))).toEqual([`${worker}.json`]);
    await agent.stop('SIGKILL');

    // The next agent undoes it before it takes any job.
    agent = startAgentProcess(edge.url, token, state);
    agents.push(agent);
    await printed(agent, 'rbee agent starting');
    expect(agent.output()).toContain(
      `rbee agent: ${worker}: an install the last agent left unfinished was rolled-back`,
    );
    expect(snapshot(root)).toEqual(v1);
    expect(await readManifest(state, worker)).toEqual(manifest1);
    for (const f of manifest1!.files) {
      const sha = createHash('sha256')
        .update(readFileSync(join(root, f.path)))
        .digest('hex');
      expect(sha).toBe(f.sha256);
    }
    expect(readdirSync(join(state, 'journal'))).toEqual([]);
    // The killed job ends as failed, reported by the new agent.
    await followJob(edge.url, job.id);
    expect((await api('GET', `/api/jobs/${job.id}`)).body.job).toMatchObject({
      state: 'failed',
      error: { message: 'agent restarted during the build' },
    });

    // And the upgrade, run again, goes through.
    expect((await install()).state).toBe('succeeded');
    expect((await readManifest(state, worker))!.version).toBe('1.1.0-1');
    expect(readFileSync(join(root, 'usr/local/lib/rbee/extra.conf'), 'utf8')).toBe(
      'greeting="v2"\n',
    );
    expect(readdirSync(root).filter((n) => n.startsWith('.rbee-staging-'))).toEqual([]);
  }, 180_000);
});
