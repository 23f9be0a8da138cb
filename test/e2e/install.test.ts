import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  DEMO_INSTALL_STEPS_WITH_CACHE,
  type EdgeProcess,
  followJob,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';

/** Each test runs real builds through real processes: minutes on a loaded machine. */
const REAL_BUILD_LIMIT_MS = 300_000;

/** Edge and agent as separate processes: the install pipeline as a hive runs it. */
let edge: EdgeProcess | null = null;
const agents: AgentProcess[] = [];
const api = adminApi(() => edge!.url);
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop('SIGKILL');
  await edge?.stop('SIGKILL');
  edge = null;
});

async function hiveWithAgent(name: string, extraArgs: string[] = []) {
  const res = await api('POST', '/api/hives', { name });
  expect(res.status).toBe(201);
  const state = tempDir('e2e-agent');
  agents.push(startAgentProcess(edge!.url, res.body.token, state, extraArgs));
  await expect
    .poll(async () => (await api('GET', `/api/hives/${name}`)).body.online, { timeout: 120_000 })
    .toBe(true);
  return { id: res.body.id as string, state, root: join(state, 'root') };
}

/** Runs a job to its end; returns the final job and the steps as the SSE stream reported them. */
async function runToEnd(job: { id: string }) {
  const events = await followJob(edge!.url, job.id);
  const steps = events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  const final = (await api('GET', `/api/jobs/${job.id}`)).body.job;
  return { final, steps, started: steps.filter((s) => s.phase === 'start').map((s) => s.step) };
}

async function logText(job: string) {
  const res = await fetch(`${edge!.url}/api/jobs/${job}/logs.txt`, {
    headers: { Authorization: `Bearer ${ADMIN}` },
  });
  return res.text();
}

describe('remote install on a hive (edge and agent processes)', {
  timeout: REAL_BUILD_LIMIT_MS,
}, () => {
  it('installs the demo worker with every step upstream, reports capabilities, then uninstalls exactly its files', async () => {
    edge = await startEdgeProcess();
    const hive = await hiveWithAgent('e2e');
    const created = await api('POST', '/api/installs', {
      force: true,
      hive: 'e2e',
      worker: 'rbee-hello-worker',
    });
    const run = await runToEnd(created.body.job);
    expect(run.final).toMatchObject({ state: 'succeeded', error: null });
    expect(run.started).toEqual(DEMO_INSTALL_STEPS_WITH_CACHE);
    expect(run.steps.filter((s) => s.phase === 'end').every((s) => s.ok === true)).toBe(true);
    const binary = join(hive.root, 'usr/local/bin/rbee-hello-worker');
    const installed = [
      {
        id: 'rbee-hello-worker',
        version: '1.0.0-1',
        files: 3,
        binary,
        installed_at: expect.any(Number),
      },
    ];
    // The capabilities message reached the edge before the job ended.
    const shown = (await api('GET', `/api/hives/${hive.id}`)).body;
    expect(shown.installed).toEqual(installed);
    expect(shown.platform).toMatchObject({ os: 'linux', arch: 'x86_64' });
    expect((await api('GET', '/api/hives/e2e/workers')).body).toEqual({
      hive: hive.id,
      platform: shown.platform,
      workers: installed,
    });
    const caps = JSON.parse(readFileSync(join(hive.state, 'capabilities.json'), 'utf8'));
    expect(caps.installed).toEqual([
      { ...installed[0], installed_at: caps.installed[0].installed_at },
    ]);
    expect(existsSync(binary)).toBe(true);

    const un = await api('POST', '/api/hives/e2e/uninstall', { worker: 'rbee-hello-worker' });
    expect(un.status).toBe(201);
    expect(un.body.job).toMatchObject({ kind: 'uninstall', worker: 'rbee-hello-worker' });
    const removed = await runToEnd(un.body.job);
    expect(removed.final).toMatchObject({ state: 'succeeded' });
    expect(removed.started).toEqual(['uninstall', 'capabilities', 'cleanup']);
    expect(readdirSync(hive.root)).toEqual([]);
    expect((await api('GET', '/api/hives/e2e/workers')).body.workers).toEqual([]);
    expect(await api('POST', '/api/hives/e2e/uninstall', { worker: 'rbee-hello-worker' })).toEqual({
      status: 409,
      body: {
        code: 'NOT_INSTALLED',
        error: 'hive "e2e" has not reported rbee-hello-worker as installed',
      },
    });
  });

  it('the catalog for one hive: runnable entries, and with all=1 why the others cannot run', async () => {
    edge = await startEdgeProcess();
    const hive = await hiveWithAgent('plain');
    const runnable = (await api('GET', `/workers?hive=${hive.id}`)).body;
    const ids = runnable.workers.map((w: { id: string }) => w.id);
    expect(ids).toContain('rbee-hello-worker');
    expect(ids).toContain('llm-worker-rbee-cpu');
    expect(ids).not.toContain('llm-worker-rbee-cuda');
    expect(ids).not.toContain('llm-worker-rbee-metal');
    const all = (await api('GET', '/workers?hive=plain&all=1')).body.workers;
    const cuda = all.find((w: { id: string }) => w.id === 'llm-worker-rbee-cuda');
    expect(cuda).toMatchObject({
      runnable: false,
      reasons: [
        {
          code: 'NO_CUDA',
          message:
            'llm-worker-rbee-cuda needs CUDA: no NVIDIA GPU with a driver on this hive (nvidia-smi found none)',
        },
      ],
    });
    expect((await api('GET', `/api/hives/${hive.id}/catalog?all=1`)).body.workers).toEqual(all);
    const anonymous = await fetch(`${edge.url}/workers?hive=plain`);
    expect(anonymous.status).toBe(401);
    expect((await (await fetch(`${edge.url}/workers`)).json()).workers.length).toBe(all.length);
  });

  it('the cuda worker is refused at the platform step; the cpu worker fails at sources with git in the log', async () => {
    edge = await startEdgeProcess();
    // No network here, and no rust or cargo: --deps skip lets the cpu worker reach its git source.
    await hiveWithAgent('no-gpu', ['--deps', 'skip']);
    const cuda = await api('POST', '/api/installs', {
      force: true,
      hive: 'no-gpu',
      worker: 'llm-worker-rbee-cuda',
    });
    const refused = await runToEnd(cuda.body.job);
    expect(refused.final).toMatchObject({
      state: 'failed',
      error: {
        step: 'platform',
        message:
          'This hive cannot run llm-worker-rbee-cuda: llm-worker-rbee-cuda needs CUDA: no NVIDIA GPU with a driver on this hive (nvidia-smi found none)',
      },
    });
    expect(refused.started).toEqual(['catalog', 'platform']);
    const cpu = await api('POST', '/api/installs', {
      force: true,
      hive: 'no-gpu',
      worker: 'llm-worker-rbee-cpu',
    });
    const failed = await runToEnd(cpu.body.job);
    expect(failed.final).toMatchObject({ state: 'failed', error: { step: 'sources' } });
    expect(await logText(cpu.body.job.id)).toMatch(
      /fatal: unable to access 'https:\/\/github\.com\/veighnsche\/llama-orch\.git\/'/,
    );
  });
});
