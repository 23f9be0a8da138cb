import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, NODE_TS, startListening, tempDir } from '../support/edge-process.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { entriesOf, readSse } from '../support/sse.ts';

let redis: RedisServer;
let a: EdgeProcess;
let b: EdgeProcess;
const agents: RawAgent[] = [];

/** `rbee edge` on the shared Redis; a loaded machine may take a while to start it. */
const edgeOn = (id: string, store = redis.url) =>
  startListening(
    process.execPath,
    [
      ...NODE_TS,
      'cli/rbee.ts',
      'edge',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data',
      tempDir('multi'),
      '--store',
      store,
      '--instance-id',
      id,
      '--heartbeat-ms',
      '1000',
    ],
    { RBEE_ADMIN_TOKEN: ADMIN },
  );

beforeAll(async () => {
  redis = await startRedisServer();
  [a, b] = await Promise.all([edgeOn('edge-a'), edgeOn('edge-b')]);
}, 240_000);

afterAll(async () => {
  for (const agent of agents) agent.ws.terminate();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

async function api(edge: EdgeProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${edge.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: bodies are asserted field by field
  return { status: res.status, body: (await res.json()) as any };
}

/** Asks until `ok` holds (presence travels by the bus; nothing here sleeps a fixed time). */
async function until<T>(ask: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await ask().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const agentOn = (edge: EdgeProcess, token: string) => {
  const agent = new RawAgent(edge.url, token);
  agents.push(agent);
  return agent;
};

const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    s: from + i,
    t: 1,
    k: 'o',
    x: `line ${from + i}`,
  }));

async function enrol(edge: EdgeProcess, name: string) {
  const res = await api(edge, 'POST', '/api/hives', { name });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string };
}

describe('two edge processes on one Redis', () => {
  it('a job posted on B reaches the agent on A; its log followed live on B arrives whole', async () => {
    const hive = await enrol(a, 'multi-1');
    const agent = agentOn(a, hive.token);
    await agent.hello();
    // Presence: online on both instances, and B names A as the holder.
    await until(
      () => api(b, 'GET', `/api/hives/${hive.id}`),
      (r) => r.body.online === true,
      'online on B',
    );
    expect((await api(a, 'GET', `/api/hives/${hive.id}`)).body.online).toBe(true);
    expect((await fetch(`${b.url}/health`).then((r) => r.json())).instance_id).toBe('edge-b');

    const posted = await api(b, 'POST', '/api/installs', {
      hive: hive.id,
      worker: 'rbee-hello-worker',
    });
    expect(posted.status).toBe(201);
    const id = posted.body.job.id as string;
    const msg = await agent.next<{ type: 'job'; job: { id: string } }>('job');
    expect(msg.job.id).toBe(id);

    agent.send({ type: 'accept', job: id, duplicate: false });
    agent.send({ type: 'job_state', job: id, state: 'running', step: 'build' });
    agent.send({ type: 'logs', job: id, entries: lines(0, 50) });
    expect(await agent.next('ack')).toMatchObject({ job: id, next_seq: 50 });
    // Follow on B while A stores the rest: the wake-ups cross the bus.
    const live = readSse(`${b.url}/api/jobs/${id}/logs`, { Authorization: `Bearer ${ADMIN}` });
    await until(
      () => api(b, 'GET', `/api/jobs/${id}`),
      (r) => r.body.job.state === 'running',
      'running on B',
    );
    agent.send({ type: 'logs', job: id, entries: lines(50, 120) });
    expect(await agent.next('ack')).toMatchObject({ next_seq: 120 });
    agent.send({ type: 'job_done', job: id, outcome: 'succeeded', total: 120 });
    expect(await agent.next('done_ack')).toMatchObject({ job: id });
    const events = await live;
    expect(entriesOf(events).map((e) => e.s)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ state: 'succeeded' });
  }, 60_000);

  it('the same token on B takes over: A closes its socket with REPLACED, jobs go to B', async () => {
    const hive = await enrol(a, 'multi-2');
    const first = agentOn(a, hive.token);
    await first.hello();
    await until(
      () => api(b, 'GET', `/api/hives/${hive.id}`),
      (r) => r.body.online,
      'online on B',
    );
    const second = agentOn(b, hive.token);
    await second.hello();
    expect((await first.closed).code).toBe(4001);
    expect(first.received.find((m) => m.type === 'error')).toMatchObject({ code: 'REPLACED' });
    expect(second.ws.readyState).toBe(second.ws.OPEN);
    // A now forwards to B: a job posted on A reaches the agent on B, once.
    const posted = await api(a, 'POST', '/api/installs', {
      hive: hive.id,
      worker: 'rbee-hello-worker',
    });
    const msg = await second.next<{ type: 'job'; job: { id: string } }>('job');
    expect(msg.job.id).toBe(posted.body.job.id);
    expect(first.received.filter((m) => m.type === 'job')).toEqual([]);
    expect((await api(a, 'GET', `/api/hives/${hive.id}`)).body.online).toBe(true);
  }, 60_000);

  it('Redis killed: the API answers 503 STORE_UNAVAILABLE; restarted: it recovers, acked lines kept', async () => {
    const hive = await enrol(a, 'multi-3');
    const agent = agentOn(a, hive.token);
    await agent.hello();
    const posted = await api(a, 'POST', '/api/installs', {
      hive: hive.id,
      worker: 'rbee-hello-worker',
    });
    const id = posted.body.job.id as string;
    await agent.next('job');
    agent.send({ type: 'accept', job: id, duplicate: false });
    agent.send({ type: 'logs', job: id, entries: lines(0, 30) });
    expect(await agent.next('ack')).toMatchObject({ next_seq: 30 });

    await redis.kill();
    for (const edge of [a, b]) {
      const down = await api(edge, 'GET', '/api/jobs');
      expect(down.status).toBe(503);
      expect(down.body.code).toBe('STORE_UNAVAILABLE');
      expect(down.body.error).toMatch(/Redis store is unreachable/);
    }
    expect(a.child.exitCode).toBeNull();
    await redis.restart();
    const back = await until(
      () => api(b, 'GET', `/api/jobs/${id}`),
      (r) => r.status === 200,
      'B back',
    );
    expect(back.body.job.log_entries).toBe(30);
    await until(
      () => api(a, 'GET', '/api/hives'),
      (r) => r.status === 200,
      'A back',
    );
  }, 60_000);

  it('refuses to start when Redis is unreachable, naming the URL', async () => {
    const started = edgeOn('edge-c', 'redis://127.0.0.1:1/0');
    await expect(started).rejects.toThrow(
      /refusing to start: cannot reach the Redis store at redis:\/\/127\.0\.0\.1:1\/0/,
    );
  }, 120_000);
});
