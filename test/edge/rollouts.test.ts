import { afterEach, describe, expect, it } from 'vitest';
import { inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

type EdgeT = Awaited<ReturnType<typeof inProcessEdge>>;
type JobMsg = { type: 'job'; job: { id: string; kind: string; worker: string } };

let edge: EdgeT;
const agents: RawAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.ws.terminate();
  await edge?.close();
});

/**
 * Five protocol-level agents on real sockets. Every job any of them receives goes into one
 * queue; the test decides when each job ends, so "how many at once" is observed exactly.
 */
async function fleetOf(n: number) {
  const received: { agent: RawAgent; id: string }[] = [];
  const waiters: Array<() => void> = [];
  const hives: string[] = [];
  for (let i = 0; i < n; i++) {
    const hive = await edge.enrol(`hive-${i}`, { ring: 'canary' });
    const agent = new RawAgent(edge.url, hive.token);
    agents.push(agent);
    agent.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as JobMsg;
      if (msg.type !== 'job') return;
      agent.send({ type: 'accept', job: msg.job.id, duplicate: false });
      agent.send({ type: 'job_state', job: msg.job.id, state: 'running', step: 'build' });
      received.push({ agent, id: msg.job.id });
      for (const w of waiters.splice(0)) w();
    });
    await agent.hello();
    hives.push(hive.id);
  }
  const finished = new Set<string>();
  /** The jobs delivered and not yet ended, once `count` jobs have arrived in all. */
  const whenReceived = async (count: number) => {
    while (received.length < count) await new Promise<void>((r) => waiters.push(r));
    return received.filter((j) => !finished.has(j.id));
  };
  /** Ends a delivered job and waits until the edge has recorded it (done_ack). */
  const finish = async (id: string, outcome: 'succeeded' | 'failed' | 'cancelled') => {
    const { agent } = received.find((j) => j.id === id)!;
    finished.add(id);
    const acked = agent.next('done_ack');
    agent.send({
      type: 'job_done',
      job: id,
      outcome,
      total: 0,
      ...(outcome === 'failed' ? { error: { message: 'build() failed', step: 'build' } } : {}),
    });
    await acked;
  };
  return { hives, received, whenReceived, finish };
}

const jobsOf = async (rollout: string) =>
  (
    (await edge.api('GET', '/api/jobs?limit=100')).body.jobs as {
      rollout: string;
      state: string;
      id: string;
    }[]
  ).filter((j) => j.rollout === rollout);

describe('rollouts: max concurrency and max errors', () => {
  it('a rollout to 5 agents with max_concurrency 2 never has more than 2 jobs out at once', async () => {
    edge = await inProcessEdge();
    const fleet = await fleetOf(5);
    const res = await edge.api('POST', '/api/installs', {
      selector: { labels: { ring: 'canary' } },
      worker: 'rbee-hello-worker',
      max_concurrency: 2,
    });
    expect(res.status).toBe(201);
    const { rollout, jobs } = res.body;
    expect(rollout).toMatchObject({
      id: expect.stringMatching(/^ro_/),
      state: 'running',
      max_concurrency: 2,
      max_errors: null,
      counts: { total: 5, waiting: 3, in_progress: 2, succeeded: 0, failed: 0, cancelled: 0 },
    });
    expect(jobs.map((j: { state: string }) => j.state)).toEqual([
      'dispatched',
      'dispatched',
      'queued',
      'queued',
      'queued',
    ]);
    expect(jobs.every((j: { rollout: string }) => j.rollout === rollout.id)).toBe(true);
    let peak = 0;
    for (let done = 0; done < 5; done++) {
      const out = await fleet.whenReceived(Math.min(5, done + 2));
      peak = Math.max(peak, out.length);
      expect(out.length).toBeLessThanOrEqual(2);
      const states = (await jobsOf(rollout.id)).map((j) => j.state);
      expect(
        states.filter((s) => s === 'dispatched' || s === 'running').length,
      ).toBeLessThanOrEqual(2);
      await fleet.finish(out[0]!.id, 'succeeded');
    }
    expect(peak).toBe(2);
    expect(fleet.received.length).toBe(5);
    const final = (await edge.api('GET', `/api/rollouts/${rollout.id}`)).body.rollout;
    expect(final).toMatchObject({
      state: 'succeeded',
      counts: { total: 5, waiting: 0, in_progress: 0, succeeded: 5, failed: 0, cancelled: 0 },
      ended_at: expect.any(Number),
    });
  });

  it('stops at max_errors: the jobs still waiting are cancelled and never sent; the one out finishes', async () => {
    edge = await inProcessEdge();
    const fleet = await fleetOf(5);
    const res = await edge.api('POST', '/api/installs', {
      hives: fleet.hives,
      worker: 'rbee-hello-worker',
      max_concurrency: 2,
      max_errors: 2,
    });
    const { rollout } = res.body;
    const first = await fleet.whenReceived(2);
    await fleet.finish(first[0]!.id, 'failed');
    // One failure of two allowed: the slot goes to the third hive.
    const second = await fleet.whenReceived(3);
    expect(second.length).toBe(2);
    await fleet.finish(second[0]!.id, 'failed');
    const stopped = (await edge.api('GET', `/api/rollouts/${rollout.id}`)).body.rollout;
    expect(stopped).toMatchObject({
      state: 'stopped',
      counts: { total: 5, waiting: 0, in_progress: 1, succeeded: 0, failed: 2, cancelled: 2 },
      ended_at: null,
    });
    const cancelled = (await jobsOf(rollout.id)).filter((j) => j.state === 'cancelled');
    expect(cancelled.length).toBe(2);
    expect(cancelled.every((j) => !fleet.received.some((r) => r.id === j.id))).toBe(true);
    const last = await fleet.whenReceived(3);
    expect(last.length).toBe(1);
    await fleet.finish(last[0]!.id, 'succeeded');
    expect(fleet.received.length).toBe(3);
    expect((await edge.api('GET', `/api/rollouts/${rollout.id}`)).body.rollout).toMatchObject({
      state: 'stopped',
      counts: { total: 5, waiting: 0, in_progress: 0, succeeded: 1, failed: 2, cancelled: 2 },
      ended_at: expect.any(Number),
    });
  });

  it('cancel: the waiting jobs are cancelled and never sent, the ones out get the agent cancel; it ends stopped', async () => {
    edge = await inProcessEdge();
    const fleet = await fleetOf(4);
    const { rollout } = (
      await edge.api('POST', '/api/installs', {
        hives: fleet.hives,
        worker: 'rbee-hello-worker',
        max_concurrency: 2,
      })
    ).body;
    const out = await fleet.whenReceived(2);
    const cancels = out.map((j) => j.agent.next<{ type: 'cancel'; job: string }>('cancel'));
    const res = await edge.api('POST', `/api/rollouts/${rollout.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.rollout).toMatchObject({
      state: 'stopped',
      cancel_requested: true,
      counts: { total: 4, waiting: 0, in_progress: 2, cancelled: 2 },
      ended_at: null,
    });
    expect((await Promise.all(cancels)).map((m) => m.job).sort()).toEqual(
      out.map((j) => j.id).sort(),
    );
    const waiting = (await jobsOf(rollout.id)).filter((j) => j.state === 'cancelled');
    expect(waiting.length).toBe(2);
    expect(waiting.every((j) => !fleet.received.some((r) => r.id === j.id))).toBe(true);
    // The agents stop their builds and say so; then the rollout has ended.
    for (const j of out) await fleet.finish(j.id, 'cancelled');
    expect(fleet.received.length).toBe(2);
    expect((await edge.api('GET', `/api/rollouts/${rollout.id}`)).body.rollout).toMatchObject({
      state: 'stopped',
      counts: { total: 4, waiting: 0, in_progress: 0, succeeded: 0, failed: 0, cancelled: 4 },
      ended_at: expect.any(Number),
    });
    expect(await edge.api('POST', `/api/rollouts/${rollout.id}/cancel`)).toEqual({
      status: 409,
      body: { code: 'ROLLOUT_ENDED', error: `rollout ${rollout.id} has ended (stopped)` },
    });
    expect((await edge.api('POST', '/api/rollouts/ro_nope/cancel')).status).toBe(404);
  });

  it('a rollout whose jobs all end with one failure under the threshold is failed', async () => {
    edge = await inProcessEdge();
    const fleet = await fleetOf(2);
    const { rollout } = (
      await edge.api('POST', '/api/installs', {
        hives: fleet.hives,
        worker: 'rbee-hello-worker',
        max_errors: 5,
      })
    ).body;
    const out = await fleet.whenReceived(2);
    await fleet.finish(out[0]!.id, 'failed');
    await fleet.finish(out[1]!.id, 'succeeded');
    expect((await edge.api('GET', `/api/rollouts/${rollout.id}`)).body.rollout).toMatchObject({
      state: 'failed',
      max_concurrency: null,
      counts: { total: 2, waiting: 0, in_progress: 0, succeeded: 1, failed: 1, cancelled: 0 },
    });
  });

  it('refuses rollout limits on a single-hive install, and an unknown rollout id', async () => {
    edge = await inProcessEdge();
    await edge.enrol('solo');
    const single = await edge.api('POST', '/api/installs', {
      hive: 'solo',
      worker: 'rbee-hello-worker',
      max_concurrency: 2,
    });
    expect(single.status).toBe(400);
    expect(single.body.error).toContain('max_concurrency, max_errors and canary are for rollouts');
    const zero = await edge.api('POST', '/api/installs', {
      hives: ['solo'],
      worker: 'rbee-hello-worker',
      max_concurrency: 0,
    });
    expect(zero.status).toBe(400);
    expect(await edge.api('GET', '/api/rollouts/ro_nope')).toEqual({
      status: 404,
      body: { code: 'UNKNOWN_ROLLOUT', error: 'no rollout with id "ro_nope"' },
    });
  });

  it('a held job of an offline-then-online hive is not delivered by hello until released', async () => {
    edge = await inProcessEdge();
    const a = await edge.enrol('a');
    const b = await edge.enrol('b');
    const { rollout, jobs } = (
      await edge.api('POST', '/api/installs', {
        hives: ['a', 'b'],
        worker: 'rbee-hello-worker',
        max_concurrency: 1,
      })
    ).body;
    expect(jobs.map((j: { state: string }) => j.state)).toEqual(['queued', 'queued']);
    // b connects first, but its job waits for a's slot.
    const agentB = new RawAgent(edge.url, b.token);
    agents.push(agentB);
    await agentB.hello();
    const agentA = new RawAgent(edge.url, a.token);
    agents.push(agentA);
    await agentA.hello();
    const jobA = await agentA.next<JobMsg>('job');
    expect(jobA.job.id).toBe(jobs[0].id);
    expect(agentB.received.some((m) => m.type === 'job')).toBe(false);
    agentA.send({ type: 'accept', job: jobA.job.id, duplicate: false });
    agentA.send({ type: 'job_state', job: jobA.job.id, state: 'running', step: 'build' });
    agentA.send({ type: 'job_done', job: jobA.job.id, outcome: 'succeeded', total: 0 });
    const jobB = await agentB.next<JobMsg>('job');
    expect(jobB.job.id).toBe(jobs[1].id);
    expect(
      (await edge.api('GET', `/api/rollouts/${rollout.id}`)).body.rollout.counts,
    ).toMatchObject({
      waiting: 0,
      in_progress: 1,
      succeeded: 1,
    });
  });
});
