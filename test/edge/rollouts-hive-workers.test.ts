import { afterEach, describe, expect, it } from 'vitest';
import { inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

type EdgeT = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: EdgeT;
const agents: RawAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.ws.terminate();
  await edge?.close();
});

const gpuPlatform = {
  os: 'linux',
  arch: 'x86_64',
  accelerators: [{ kind: 'cuda', name: 'NVIDIA L4', driver: '550.54' }],
};

describe('a hive’s workers and catalog, from its capabilities report', () => {
  it('a capabilities message updates what GET /api/hives/:id, /workers and ?hive= show', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('gpu-01');
    const agent = new RawAgent(edge.url, hive.token);
    agents.push(agent);
    await agent.hello();
    const installed = [
      { id: 'llm-worker-rbee-cuda', version: '0.1.0-1', files: 2, binary: '/usr/local/bin/x' },
    ];
    agent.send({ type: 'capabilities', platform: gpuPlatform, installed });
    await expect
      .poll(async () => (await edge.api('GET', '/api/hives/gpu-01/workers')).body)
      .toEqual({ hive: hive.id, platform: gpuPlatform, workers: installed });
    expect((await edge.api('GET', `/api/hives/${hive.id}`)).body.installed).toEqual(installed);
    const runnable = (await edge.api('GET', '/workers?hive=gpu-01')).body;
    expect(runnable.workers.map((w: { id: string }) => w.id)).toEqual([
      'llm-worker-rbee-cpu',
      'llm-worker-rbee-cuda',
      'rbee-hello-worker',
    ]);
    const all = (await edge.api('GET', '/workers?hive=gpu-01&all=1')).body.workers;
    expect(all.find((w: { id: string }) => w.id === 'llm-worker-rbee-metal')).toMatchObject({
      runnable: false,
      reasons: [
        { code: 'OS', message: 'llm-worker-rbee-metal runs on macos, not linux' },
        { code: 'ARCH', message: 'llm-worker-rbee-metal is built for aarch64, not x86_64' },
        {
          code: 'NO_METAL',
          message:
            'llm-worker-rbee-metal needs Metal: macOS on Apple silicon, and this hive is linux/x86_64',
        },
      ],
    });
    const un = await edge.api('POST', '/api/hives/gpu-01/uninstall', {
      worker: 'llm-worker-rbee-cuda',
    });
    expect(un.status).toBe(201);
    const sent = await agent.next<{ type: 'job'; job: { kind: string; worker: string } }>('job');
    expect(sent.job).toMatchObject({ kind: 'uninstall', worker: 'llm-worker-rbee-cuda' });
  });

  it('refusals: unknown hive, a hive that never connected, a bad body, no admin token', async () => {
    edge = await inProcessEdge();
    await edge.enrol('never');
    expect((await edge.api('GET', '/api/hives/nope/workers')).body.code).toBe('UNKNOWN_HIVE');
    expect((await edge.api('GET', '/workers?hive=nope')).body.code).toBe('UNKNOWN_HIVE');
    expect((await edge.api('POST', '/api/hives/nope/uninstall', { worker: 'x' })).status).toBe(404);
    const none = (await edge.api('GET', '/workers?hive=never&all=1')).body;
    expect(none.platform).toBeNull();
    expect(none.workers.every((w: { runnable: boolean }) => !w.runnable)).toBe(true);
    expect((await edge.api('GET', '/workers?hive=never')).body.workers).toEqual([]);
    const bad = await edge.api('POST', '/api/hives/never/uninstall', { worker: '../x' });
    expect(bad.status).toBe(400);
    expect((await edge.api('GET', '/workers?hive=never', undefined, null)).status).toBe(401);
    expect((await edge.api('GET', '/workers?hive=never', undefined, 'rba_wrong')).status).toBe(401);
  });
});
