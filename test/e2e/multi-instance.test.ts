import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, tempDir } from '../support/edge-process.ts';
import { startEdgeProcess } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import type { RawAgent } from '../support/raw-agent.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { entriesOf, readSse } from '../support/sse.ts';
import {
  agentOn,
  api,
  contestedAcrossInstances,
  enrol,
  holderGoneAcrossInstances,
  jobAcrossInstances,
  lines,
  replacedAcrossInstances,
  rolloutAcrossInstances,
  until,
} from './multi-instance-cases.ts';

let redis: RedisServer;
let a: EdgeProcess;
let b: EdgeProcess;
const agents: RawAgent[] = [];
const edge = (p: EdgeProcess, instance: string) => ({ url: p.url, instance });

const dirs: string[] = [];

/** `rbee edge` on the shared Redis; a loaded machine may take a while to start it. */
function edgeOn(id: string, store = redis.url) {
  const dir = tempDir('multi');
  dirs.push(dir);
  return startEdgeProcess(['--store', store, '--instance-id', id, '--heartbeat-ms', '1000'], dir);
}

beforeAll(async () => {
  redis = await startRedisServer();
  [a, b] = await Promise.all([edgeOn('edge-a'), edgeOn('edge-b')]);
}, 240_000);

afterAll(async () => {
  for (const agent of agents) agent.ws.terminate();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('two edge processes on one Redis', () => {
  it(
    'a job posted on B reaches the agent on A; its log followed live on B arrives whole',
    () => jobAcrossInstances(edge(a, 'edge-a'), edge(b, 'edge-b'), agents),
    120_000,
  );

  it(
    'the same token on B takes over: A closes its socket with REPLACED, jobs go to B',
    () => replacedAcrossInstances(edge(a, 'edge-a'), edge(b, 'edge-b'), agents),
    120_000,
  );

  it(
    'one contest count across instances: takeovers on A and B together mark the hive contested, its jobs held on both',
    () => contestedAcrossInstances(edge(a, 'edge-a'), edge(b, 'edge-b'), agents),
    120_000,
  );

  it(
    'a rollout over hives on A and B never has more than max_concurrency out and stops at max_errors',
    () => rolloutAcrossInstances(edge(a, 'edge-a'), edge(b, 'edge-b'), agents),
    120_000,
  );

  it('Redis killed: the API answers 503 STORE_UNAVAILABLE; restarted: it recovers, acked lines kept', async () => {
    const hive = await enrol(a, 'multi-3');
    const agent = agentOn(a, hive.token, agents);
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
    // Lines sent while Redis is down are not acked: the edge closes the socket, keeping nothing.
    agent.send({ type: 'logs', job: id, entries: lines(30, 60) });
    await agent.closed;
    expect(agent.received.filter((m) => m.type === 'ack')).toHaveLength(1);
    await redis.restart();
    const back = await until(
      () => api(b, 'GET', `/api/jobs/${id}`),
      (r) => r.status === 200,
      'B back',
    );
    expect(back.body.job.log_entries).toBe(30);
    // The agent comes back (to B this time) and resends from where the edge says it stands.
    const again = agentOn(b, hive.token, agents);
    const welcome = await until(
      () => again.hello([{ id, next_seq: 60 }]),
      (w) => w.jobs.length === 1,
      'welcome on B',
    );
    expect(welcome.jobs[0]).toMatchObject({ id, next_seq: 30 });
    again.send({ type: 'logs', job: id, entries: lines(30, 60) });
    expect(await again.next('ack')).toMatchObject({ next_seq: 60 });
    again.send({ type: 'job_done', job: id, outcome: 'succeeded', total: 60 });
    await again.next('done_ack');
    const events = await readSse(`${a.url}/api/jobs/${id}/logs`, {
      Authorization: `Bearer ${ADMIN}`,
    });
    expect(entriesOf(events).map((e) => e.s)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ state: 'succeeded' });
  }, 120_000);

  // After the cases that need A: it ends A's process.
  it(
    'kill -9 of A mid-job: its lease runs out, the agent comes back on B, the job finishes whole',
    () =>
      holderGoneAcrossInstances(edge(a, 'edge-a'), edge(b, 'edge-b'), agents, async () => {
        await a.stop('SIGKILL');
      }),
    120_000,
  );

  it('refuses to start when Redis is unreachable, naming the URL', async () => {
    const started = edgeOn('edge-c', 'redis://127.0.0.1:1/0');
    await expect(started).rejects.toThrow(
      /refusing to start: cannot reach the Redis store at redis:\/\/127\.0\.0\.1:1\/0/,
    );
  }, 120_000);
});
