/**
 * Scenarios for two edge instances on one store and one bus, run against the Node edges on
 * Redis (multi-instance.test.ts) and the Deno Deploy entry on Deno KV (deno-deploy.test.ts).
 */
import { expect } from 'vitest';
import { ADMIN } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { entriesOf, readSse } from '../support/sse.ts';

export type Edge = { url: string; instance?: string };

export async function api(edge: Edge, method: string, path: string, body?: unknown) {
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
export async function until<T>(
  ask: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  limitMs = 60_000,
): Promise<T> {
  // Up to 60 s by default: a loaded machine may be slow; it returns as soon as `ok` holds.
  for (const end = Date.now() + limitMs; Date.now() < end; ) {
    const v = await ask().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const agentOn = (edge: Edge, token: string, agents: RawAgent[]) => {
  const agent = new RawAgent(edge.url, token);
  agents.push(agent);
  return agent;
};

export const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    s: from + i,
    t: 1,
    k: 'o',
    x: `line ${from + i}`,
  }));

export async function enrol(edge: Edge, name: string) {
  const res = await api(edge, 'POST', '/api/hives', { name });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string };
}

export async function jobAcrossInstances(a: Edge, b: Edge, agents: RawAgent[]) {
  const hive = await enrol(a, 'multi-1');
  const agent = agentOn(a, hive.token, agents);
  await agent.hello();
  // Presence: online on both instances, and B names A as the holder.
  await until(
    () => api(b, 'GET', `/api/hives/${hive.id}`),
    (r) => r.body.online === true,
    'online on B',
  );
  expect((await api(a, 'GET', `/api/hives/${hive.id}`)).body.online).toBe(true);
  expect((await fetch(`${b.url}/health`).then((r) => r.json())).instance_id).toBe(b.instance);
  expect((await api(b, 'GET', `/api/hives/${hive.id}`)).body.instance).toBe(a.instance);
  expect((await api(a, 'GET', `/api/hives/${hive.id}`)).body.instance).toBe(a.instance);

  const posted = await api(b, 'POST', '/api/installs', {
    force: true,
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
}

export async function replacedAcrossInstances(a: Edge, b: Edge, agents: RawAgent[]) {
  const hive = await enrol(a, 'multi-2');
  const first = agentOn(a, hive.token, agents);
  await first.hello();
  await until(
    () => api(b, 'GET', `/api/hives/${hive.id}`),
    (r) => r.body.online,
    'online on B',
  );
  const second = agentOn(b, hive.token, agents);
  await second.hello();
  expect((await first.closed).code).toBe(4001);
  expect(first.received.find((m) => m.type === 'error')).toMatchObject({ code: 'REPLACED' });
  expect(second.ws.readyState).toBe(second.ws.OPEN);
  // A now forwards to B: a job posted on A reaches the agent on B, once.
  const posted = await api(a, 'POST', '/api/installs', {
    force: true,
    hive: hive.id,
    worker: 'rbee-hello-worker',
  });
  const msg = await second.next<{ type: 'job'; job: { id: string } }>('job');
  expect(msg.job.id).toBe(posted.body.job.id);
  expect(first.received.filter((m) => m.type === 'job')).toEqual([]);
  expect((await api(a, 'GET', `/api/hives/${hive.id}`)).body.online).toBe(true);
}

/**
 * The contest rule counted across instances: four takeovers alternating between A and B (two
 * seen by each, under the limit of three a minute for either alone) mark the hive contested on
 * both; its jobs are held wherever they are posted, until a rotation releases them.
 */
export async function contestedAcrossInstances(a: Edge, b: Edge, agents: RawAgent[]) {
  const hive = await enrol(a, 'multi-contest');
  const sides = [a, b];
  let live = agentOn(a, hive.token, agents);
  await live.hello();
  for (let i = 1; i <= 4; i++) {
    const next = agentOn(sides[i % 2]!, hive.token, agents);
    await next.hello();
    // Exactly one session survives: the older one is closed REPLACED.
    expect((await live.closed).code).toBe(4001);
    expect(live.received.find((m) => m.type === 'error')).toMatchObject({ code: 'REPLACED' });
    expect(next.ws.readyState).toBe(next.ws.OPEN);
    live = next;
  }
  for (const edge of sides) {
    await until(
      () => api(edge, 'GET', `/api/hives/${hive.id}`),
      (r) => r.body.contested === true,
      `contested on ${edge.instance}`,
    );
  }
  // Held on both: posted on A (which holds the socket) and on B (which would forward it).
  const held: string[] = [];
  for (const edge of sides) {
    const posted = await api(edge, 'POST', '/api/installs', {
      force: true,
      hive: hive.id,
      worker: 'rbee-hello-worker',
    });
    expect(posted.body.job.state).toBe('queued');
    held.push(posted.body.job.id);
  }
  // Rotated on B: its revoke follows anything it forwarded, so the cut socket got no job.
  const rotated = await api(b, 'POST', `/api/hives/${hive.id}/rotate-token`);
  expect(rotated.status).toBe(200);
  expect(await live.closed).toMatchObject({ code: 4003, reason: 'REVOKED' });
  expect(live.received.filter((m) => m.type === 'job')).toEqual([]);
  for (const edge of sides) {
    await until(
      () => api(edge, 'GET', `/api/hives/${hive.id}`),
      (r) => r.body.contested === false,
      `not contested on ${edge.instance}`,
    );
  }
  const fresh = agentOn(b, rotated.body.token, agents);
  await fresh.hello();
  const first = await fresh.next<{ type: 'job'; job: { id: string } }>('job');
  const second = await fresh.next<{ type: 'job'; job: { id: string } }>('job');
  expect([first.job.id, second.job.id].sort()).toEqual([...held].sort());
}

/**
 * A rollout over six hives whose sockets alternate between A and B, posted on A: jobs end on
 * either instance and each end releases the next job through the store, so at no moment are
 * more than `max_concurrency` out, and the second failure stops it wherever it happened.
 */
export async function rolloutAcrossInstances(a: Edge, b: Edge, agents: RawAgent[]) {
  const sides = [a, b];
  const received: { agent: RawAgent; id: string }[] = [];
  const finished = new Set<string>();
  let peak = 0;
  const waiters: Array<() => void> = [];
  const hives: string[] = [];
  for (let i = 0; i < 6; i++) {
    const hive = await enrol(a, `rollout-${i}`);
    const agent = agentOn(sides[i % 2]!, hive.token, agents);
    agent.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; job: { id: string } };
      if (msg.type !== 'job') return;
      agent.send({ type: 'accept', job: msg.job.id, duplicate: false });
      received.push({ agent, id: msg.job.id });
      peak = Math.max(peak, received.filter((j) => !finished.has(j.id)).length);
      for (const w of waiters.splice(0)) w();
    });
    await agent.hello();
    hives.push(hive.id);
  }
  for (const id of hives) {
    await until(
      () => api(a, 'GET', `/api/hives/${id}`),
      (r) => r.body.online,
      'online on A',
    );
  }
  const whenReceived = async (count: number) => {
    while (received.length < count) await new Promise<void>((r) => waiters.push(r));
    return received.filter((j) => !finished.has(j.id));
  };
  const finish = async (id: string, outcome: 'succeeded' | 'failed') => {
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
  const posted = await api(a, 'POST', '/api/installs', {
    force: true,
    hives,
    worker: 'rbee-hello-worker',
    max_concurrency: 2,
    max_errors: 2,
  });
  expect(posted.status).toBe(201);
  const rollout = posted.body.rollout.id as string;
  // Hives 0 and 1 (A and B) first; each end frees one slot for the next hive in order.
  let out = await whenReceived(2);
  expect(new Set(out.map((j) => j.agent.ws.url))).toHaveProperty('size', 2);
  await finish(out[0]!.id, 'succeeded');
  out = await whenReceived(3);
  await finish(out[0]!.id, 'failed');
  out = await whenReceived(4);
  expect(out).toHaveLength(2);
  await finish(out[0]!.id, 'failed');
  // The second failure stops it: the two still held are cancelled, never sent.
  for (const edge of sides) {
    await until(
      () => api(edge, 'GET', `/api/rollouts/${rollout}`),
      (r) => r.body.rollout.state === 'stopped' && r.body.rollout.counts.cancelled === 2,
      `stopped on ${edge.instance}`,
    );
  }
  out = await whenReceived(4);
  expect(out).toHaveLength(1);
  await finish(out[0]!.id, 'succeeded');
  for (const edge of sides) {
    await until(
      () => api(edge, 'GET', `/api/rollouts/${rollout}`),
      (r) => r.body.rollout.ended_at !== null,
      `ended on ${edge.instance}`,
    );
    expect((await api(edge, 'GET', `/api/rollouts/${rollout}`)).body.rollout).toMatchObject({
      state: 'stopped',
      counts: { total: 6, waiting: 0, in_progress: 0, succeeded: 2, failed: 2, cancelled: 2 },
    });
  }
  expect(peak).toBe(2);
  expect(received).toHaveLength(4);
}

/**
 * The instance holding a hive's socket ends at once (Deploy ends an isolate; kill -9), in the
 * middle of a job: the socket drops, B says offline once A's presence lease has run out (two
 * heartbeats; nothing told it), and the agent comes back on B and resends from where the store
 * stands: the job finishes, every acked line kept once, its log whole on B.
 */
export async function holderGoneAcrossInstances(
  a: Edge,
  b: Edge,
  agents: RawAgent[],
  kill: () => Promise<void>,
) {
  const hive = await enrol(b, 'multi-gone');
  const agent = agentOn(a, hive.token, agents);
  await agent.hello();
  await until(
    () => api(b, 'GET', `/api/hives/${hive.id}`),
    (r) => r.body.online === true && r.body.instance === a.instance,
    'online on B, held by A',
  );
  const posted = await api(b, 'POST', '/api/installs', {
    force: true,
    hive: hive.id,
    worker: 'rbee-hello-worker',
  });
  expect(posted.status).toBe(201);
  const id = posted.body.job.id as string;
  await agent.next('job');
  agent.send({ type: 'accept', job: id, duplicate: false });
  agent.send({ type: 'job_state', job: id, state: 'running', step: 'build' });
  agent.send({ type: 'logs', job: id, entries: lines(0, 40) });
  expect(await agent.next('ack')).toMatchObject({ job: id, next_seq: 40 });

  await kill();
  await agent.closed;
  await until(
    () => api(b, 'GET', `/api/hives/${hive.id}`),
    (r) => r.status === 200 && r.body.online === false,
    "offline on B once A's lease ran out",
  );
  expect((await api(b, 'GET', `/api/jobs/${id}`)).body.job).toMatchObject({
    state: 'running',
    log_entries: 40,
  });
  // Back on B: the agent lists the job with more lines than were acked; B says where it stands.
  const again = agentOn(b, hive.token, agents);
  const welcome = await again.hello([{ id, next_seq: 55 }]);
  expect(welcome.jobs).toEqual([{ id, next_seq: 40, cancel: false }]);
  again.send({ type: 'logs', job: id, entries: lines(40, 90) });
  expect(await again.next('ack')).toMatchObject({ job: id, next_seq: 90 });
  again.send({ type: 'job_done', job: id, outcome: 'succeeded', total: 90 });
  expect(await again.next('done_ack')).toMatchObject({ job: id });
  const events = await readSse(`${b.url}/api/jobs/${id}/logs`, {
    Authorization: `Bearer ${ADMIN}`,
  });
  expect(entriesOf(events).map((e) => e.s)).toEqual(Array.from({ length: 90 }, (_, i) => i));
  expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ state: 'succeeded' });
  expect((await api(b, 'GET', `/api/hives/${hive.id}`)).body).toMatchObject({
    online: true,
    instance: b.instance,
  });
}
