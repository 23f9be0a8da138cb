import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  type EdgeProcess,
  followJob,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { entriesOf, type SseEvent } from '../support/sse.ts';
import { RoundRobinBalancer } from './multi-instance-balancer.ts';
import { api, enrol, until } from './multi-instance-cases.ts';

/**
 * Three `rbee edge` processes on one real redis-server behind a TCP round-robin balancer, and a
 * real agent process that knows only the balancer's address.
 */
let redis: RedisServer;
const edges: EdgeProcess[] = [];
const ids = ['edge-1', 'edge-2', 'edge-3'];
const dirs: string[] = [];
let balancer: RoundRobinBalancer | null = null;
let agent: AgentProcess | null = null;
let hive: { id: string; token: string };

beforeAll(async () => {
  redis = await startRedisServer();
  for (const id of ids) dirs.push(tempDir(`lb-${id}`));
  edges.push(
    ...(await Promise.all(
      ids.map((id, i) =>
        startEdgeProcess(
          ['--store', redis.url, '--instance-id', id, '--heartbeat-ms', '5000'],
          dirs[i],
        ),
      ),
    )),
  );
  balancer = RoundRobinBalancer.of(edges.map((e) => e.url));
  const via = await balancer.listen();
  hive = await enrol(edges[0]!, 'behind-the-balancer');
  const state = tempDir('lb-agent');
  dirs.push(state);
  agent = startAgentProcess(via, hive.token, state);
}, 240_000);

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await balancer?.close();
  await Promise.all(edges.map((e) => e.stop('SIGKILL')));
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Until the hive shows online on each of `on` (presence crosses the bus). */
async function onlineOn(on: EdgeProcess[]) {
  for (const edge of on) {
    await until(
      () => api(edge, 'GET', `/api/hives/${hive.id}`),
      (r) => r.body.online === true,
      `online on ${edge.url}`,
    );
  }
}

const ended = (e: SseEvent) => e.event === 'end';
const expected200k = Array.from(
  { length: 200_000 },
  (_, i) => `line ${String(i + 1).padStart(6, '0')}`,
);

/** Every entry once, in order, the build's lines all there, and the outcome. */
function expectComplete(events: SseEvent[], lines?: string[]) {
  const entries = entriesOf(events);
  expect(entries.map((e) => e.s)).toEqual(entries.map((_, i) => i));
  if (lines) {
    expect(entries.filter((e) => e.x?.startsWith('line ')).map((e) => e.x)).toEqual(lines);
  }
  expect(events.filter(ended)).toHaveLength(1);
  expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ state: 'succeeded' });
}

describe('three edge processes on one Redis behind a round-robin balancer', () => {
  it('enrolled on 1, installed through 2, followed on 3: every line once, in order, the outcome', async () => {
    await onlineOn(edges);
    const posted = await api(edges[1]!, 'POST', '/api/installs', {
      force: true,
      hive: hive.id,
      worker: 'rbee-hello-worker',
    });
    expect(posted.status).toBe(201);
    const events = await followJob(edges[2]!.url, posted.body.job.id);
    expectComplete(events);
    expect(entriesOf(events).length).toBeGreaterThan(10);
  }, 300_000);

  it('kill -9 of the instance holding the socket mid-build: the agent moves, every remaining log is whole', async () => {
    await onlineOn(edges);
    const posted = await api(edges[1]!, 'POST', '/api/installs', {
      force: true,
      hive: hive.id,
      worker: 'test-lines-200k',
    });
    const id = posted.body.job.id as string;
    const holder = (await api(edges[0]!, 'GET', `/api/hives/${hive.id}`)).body.instance as string;
    const dead = ids.indexOf(holder);
    expect(dead).toBeGreaterThanOrEqual(0);
    const survivors = edges.filter((_, i) => i !== dead);
    // Followers on every instance; the one on the killed instance is cut with it.
    const live = edges.map((e) => followJob(e.url, id));
    live[dead]!.catch(() => {});
    await until(
      () => api(survivors[0]!, 'GET', `/api/jobs/${id}`),
      (r) => r.body.job.log_entries > 20_000,
      'the build under way',
      // A real build under load: makepkg's start alone may take a minute.
      240_000,
    );
    expect((await api(survivors[0]!, 'GET', `/api/jobs/${id}`)).body.job.state).toBe('running');
    expect(await edges[dead]!.stop('SIGKILL')).toBeNull();

    for (const i of edges.keys()) {
      if (i === dead) continue;
      expectComplete(await live[i]!, expected200k);
    }
    // Read again from the start on each surviving instance: the stored log is the same.
    for (const edge of survivors) {
      expectComplete(await followJob(edge.url, id), expected200k);
    }
    // The agent is back, held by a survivor, and every survivor says so.
    await onlineOn(survivors);
    for (const edge of survivors) {
      expect((await api(edge, 'GET', `/api/hives/${hive.id}`)).body.instance).not.toBe(holder);
    }
    expect(agent!.output()).toMatch(/disconnected/);
  }, 300_000);

  it('kill -9 of redis-server mid-build, restarted on the same data: every acked line kept once, the build finishes', async () => {
    const alive = edges.filter((e) => e.child.exitCode === null && e.child.signalCode === null);
    await onlineOn(alive);
    // A build from source again (installed already, so forced; not the cached package).
    const posted = await api(alive[0]!, 'POST', '/api/installs', {
      hive: hive.id,
      worker: 'test-lines-200k',
      build: 'always',
      force: true,
    });
    expect(posted.status).toBe(201);
    const id = posted.body.job.id as string;
    await until(
      () => api(alive[0]!, 'GET', `/api/jobs/${id}`),
      (r) => r.body.job.log_entries > 20_000,
      'the build under way',
      // A real build under load: makepkg's start alone may take a minute.
      240_000,
    );
    const before = (await api(alive[0]!, 'GET', `/api/jobs/${id}`)).body.job;
    expect(before.state).toBe('running');
    await redis.kill();
    // Down: every instance answers 503 with a JSON error; the agent gets no ack meanwhile.
    for (const edge of alive) {
      const down = await until(
        () => api(edge, 'GET', `/api/jobs/${id}`),
        (r) => r.status === 503,
        `503 on ${edge.url}`,
      );
      expect(down.body.code).toBe('STORE_UNAVAILABLE');
    }
    await redis.restart();
    // Back by itself: each instance's client reconnects within its retry interval.
    for (const edge of alive) {
      await until(
        () => api(edge, 'GET', `/api/jobs/${id}`),
        (r) => r.status === 200,
        `back on ${edge.url}`,
      );
    }
    const events = await Promise.all(alive.map((e) => followJob(e.url, id)));
    for (const got of events) expectComplete(got, expected200k);
    const after = (await api(alive[1]!, 'GET', `/api/jobs/${id}`)).body.job;
    expect(after).toMatchObject({ state: 'succeeded', log_entries: entriesOf(events[0]!).length });
    expect(after.log_entries).toBeGreaterThan(before.log_entries);
  }, 300_000);
});
