import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, startDenoEdge } from '../support/edge-process.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { entriesOf, readSse } from '../support/sse.ts';
import { checkFrameLimit, frameLimitCases } from './frame-limit-cases.ts';

/** The same hub, run by Deno (Deno.serve, Deno.upgradeWebSocket, Deno.openKv). */
describe('edge under Deno: hives, agent socket, jobs and SSE', () => {
  let edge: EdgeProcess;
  const agents: RawAgent[] = [];
  beforeAll(async () => {
    edge = await startDenoEdge(['--heartbeat-ms', '200', '--max-frame-bytes', '4096'], {
      RBEE_ADMIN_TOKEN: ADMIN,
    });
  });
  afterAll(async () => {
    for (const a of agents) a.ws.terminate();
    await edge?.stop();
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${edge.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const agent = (token: string | null) => {
    const a = new RawAgent(edge.url, token);
    agents.push(a);
    return a;
  };

  it('runs a job end to end: 401 before upgrade, hello/welcome, logs acked, SSE to the end', async () => {
    expect(await agent('rbh_wrong').refusedWith()).toBe(401);
    const hive = (await api('POST', '/api/hives', { name: 'deno-hive' })).body as {
      id: string;
      token: string;
    };
    const a = agent(hive.token);
    expect(await a.hello()).toMatchObject({ hive: hive.id, heartbeat_ms: 200 });
    const { body } = await api('POST', '/api/installs', {
      hive: 'deno-hive',
      worker: 'rbee-hello-worker',
    });
    const job = body.job as { id: string };
    await a.next('job');
    const entries = Array.from({ length: 500 }, (_, s) => ({
      s,
      t: s,
      k: s % 2 ? 'e' : 'o',
      x: `deno ${s}`,
    }));
    a.send({ type: 'logs', job: job.id, entries: entries.slice(0, 60) });
    expect(await a.next('ack')).toMatchObject({ next_seq: 60 });
    for (let i = 60; i < 500; i += 40)
      a.send({ type: 'logs', job: job.id, entries: entries.slice(i, i + 40) });
    a.send({ type: 'job_done', job: job.id, outcome: 'succeeded', total: 500 });
    await a.next('done_ack');
    const events = await readSse(`${edge.url}/api/jobs/${job.id}/logs`, {
      Authorization: `Bearer ${ADMIN}`,
    });
    expect(entriesOf(events).map((e) => e.x)).toEqual(entries.map((e) => e.x));
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ state: 'succeeded' });
  });

  it('refuses bad frames with the documented codes, and an oversized one with 1009', async () => {
    const hive = (await api('POST', '/api/hives', { name: 'deno-bad' })).body as { token: string };
    const a = agent(hive.token);
    await a.hello();
    a.send({ type: 'shell' });
    expect((await a.closed).code).toBe(1003);
    expect(a.received.find((m) => m.type === 'error')).toMatchObject({ code: 'UNKNOWN_TYPE' });
    const b = agent(hive.token);
    await b.hello();
    b.sendRaw(`{"v":1,"type":"ping","ts":1,"pad":"${'x'.repeat(5000)}"}`);
    expect((await b.closed).code).toBe(1009);
    expect(b.received.find((m) => m.type === 'error')).toMatchObject({ code: 'FRAME_TOO_LARGE' });
  });

  // The same cases as on Node (test/edge/node-adapter.test.ts), against the Deno adapter.
  for (const c of frameLimitCases) {
    it(`frame limit: ${c.name}`, () =>
      checkFrameLimit(
        {
          url: edge.url,
          maxFrameBytes: 4096,
          enrol: async (name) =>
            ((await api('POST', '/api/hives', { name })).body as { token: string }).token,
          metrics: async () =>
            (await api('GET', '/api/metrics')).body as { refused: Record<string, number> },
          agents,
        },
        c,
      ));
  }

  it('drops a silent agent within two heartbeat intervals (4000)', async () => {
    const hive = (await api('POST', '/api/hives', { name: 'deno-silent' })).body as {
      token: string;
    };
    const a = agent(hive.token);
    a.autoPong = false;
    await a.hello();
    expect((await a.closed).code).toBe(4000);
  });
});
