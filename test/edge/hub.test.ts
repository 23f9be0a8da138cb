import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { entriesOf, readSse } from '../support/sse.ts';

type EdgeT = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: EdgeT;
const agents: RawAgent[] = [];
const agent = (token: string | null) => {
  const a = new RawAgent(edge.url, token);
  agents.push(a);
  return a;
};
afterEach(async () => {
  for (const a of agents.splice(0)) a.ws.terminate();
  await edge?.close();
});

const lines = (from: number, to: number, job?: string) =>
  Array.from({ length: to - from }, (_, i) => ({
    s: from + i,
    t: Date.now(),
    k: 'o',
    x: `${job ?? 'line'} ${from + i}`,
  }));

async function install(hive: string, worker = 'rbee-hello-worker') {
  const res = await edge.api('POST', '/api/installs', { hive, worker });
  expect(res.status).toBe(201);
  return res.body.job as { id: string; state: string };
}

describe('hives and admin auth', () => {
  it('refuses the admin API without or with a wrong token, naming the rule', async () => {
    edge = await inProcessEdge();
    const none = await edge.api('GET', '/api/hives', undefined, null);
    expect(none).toEqual({
      status: 401,
      body: { code: 'UNAUTHORIZED', error: expect.stringContaining('Authorization: Bearer') },
    });
    const wrong = await edge.api('GET', '/api/hives', undefined, 'rba_wrong');
    expect(wrong).toEqual({
      status: 401,
      body: { code: 'UNAUTHORIZED', error: 'the admin token is wrong' },
    });
  });

  it('enrols a hive with a token shown once and never listed', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('gpu-01', { zone: 'eu' });
    expect(hive.token).toMatch(/^rbh_[a-z2-7]{40}$/);
    const list = await edge.api('GET', '/api/hives');
    expect(list.body.hives).toEqual([
      expect.objectContaining({
        id: hive.id,
        name: 'gpu-01',
        labels: { zone: 'eu' },
        online: false,
        last_seen: null,
      }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(hive.token);
    expect(JSON.stringify(list.body)).not.toContain('token_hash');
    expect((await edge.api('GET', `/api/hives/${hive.id}`)).body.name).toBe('gpu-01');
    expect((await edge.api('GET', '/api/hives/gpu-01')).body.id).toBe(hive.id);
    const dup = await edge.api('POST', '/api/hives', { name: 'gpu-01' });
    expect(dup).toEqual({
      status: 409,
      body: { code: 'HIVE_EXISTS', error: 'a hive named "gpu-01" already exists' },
    });
  });

  it.each([
    ['{"name":', 400, 'BAD_JSON', /not valid JSON/],
    [{ name: 'Bad Name' }, 400, 'BAD_REQUEST', /^name: name must be 1-63/],
    [{ name: 'ok', extra: 1 }, 400, 'BAD_REQUEST', /Unrecognized key/],
    [{ name: 'ok', labels: { k: 5 } }, 400, 'BAD_REQUEST', /^labels\.k:/],
    [{}, 400, 'BAD_REQUEST', /^name:/],
  ])('refuses the hive body %j with %i %s', async (body, status, code, rule) => {
    edge = await inProcessEdge();
    const res = await edge.api('POST', '/api/hives', body);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.error).toMatch(rule);
    expect((await edge.api('GET', '/api/hives')).body.hives).toEqual([]);
  });
});

describe('agent socket authentication', () => {
  it('answers 401 before the upgrade for a missing, wrong or revoked token', async () => {
    edge = await inProcessEdge();
    expect(await agent(null).refusedWith()).toBe(401);
    expect(await agent('rbh_wrong').refusedWith()).toBe(401);
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    expect((await edge.api('DELETE', `/api/hives/${hive.id}`)).status).toBe(200);
    const closed = await a.closed;
    expect(closed.code).toBe(4003);
    expect(a.received.find((m) => m.type === 'error')).toMatchObject({ code: 'REVOKED' });
    expect(await agent(hive.token).refusedWith()).toBe(401);
  });

  it('hello gets welcome; the hive shows online with its platform, then offline with last_seen', async () => {
    edge = await inProcessEdge({ heartbeatMs: 5000 });
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    const welcome = await a.hello();
    expect(welcome).toEqual({ v: 1, type: 'welcome', hive: hive.id, heartbeat_ms: 5000, jobs: [] });
    const shown = (await edge.api('GET', `/api/hives/${hive.id}`)).body;
    expect(shown).toMatchObject({
      online: true,
      platform: { os: 'linux', arch: 'x86_64' },
      agent_version: 'test',
    });
    a.close();
    await a.closed;
    await expect
      .poll(async () => (await edge.api('GET', `/api/hives/${hive.id}`)).body.online)
      .toBe(false);
    expect((await edge.api('GET', `/api/hives/${hive.id}`)).body.last_seen).toEqual(
      expect.any(Number),
    );
  });

  it('a second connection while the first answers is refused (CONTESTED, 4009); the first keeps the hive', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const first = agent(hive.token);
    await first.hello();
    const second = agent(hive.token);
    await second.opened;
    second.send({
      type: 'hello',
      agent_version: 'x',
      protocol: 1,
      platform: { os: 'linux', arch: 'x86_64', accelerators: [] },
      installed: [],
      jobs: [],
    });
    expect((await second.closed).code).toBe(4009);
    expect(second.received.find((m) => m.type === 'error')).toMatchObject({ code: 'CONTESTED' });
    expect(second.received.some((m) => m.type === 'welcome')).toBe(false);
    expect(first.ws.readyState).toBe(first.ws.OPEN);
    expect((await edge.api('GET', `/api/hives/${hive.id}`)).body).toMatchObject({
      online: true,
      contested: false,
    });
  });

  it('a connection whose peer fell silent is replaced by a new one (REPLACED, 4001)', async () => {
    edge = await inProcessEdge({ heartbeatMs: 1000 });
    const hive = await edge.enrol('h1');
    const first = agent(hive.token);
    first.autoPong = false;
    await first.hello();
    // Three pings unanswered (ticks every 500 ms): silent past one heartbeat, short of two.
    await expect
      .poll(() => first.received.filter((m) => m.type === 'ping').length, {
        timeout: 5000,
        interval: 20,
      })
      .toBeGreaterThanOrEqual(3);
    const second = agent(hive.token);
    await second.hello();
    expect((await first.closed).code).toBe(4001);
    expect(first.received.find((m) => m.type === 'error')).toMatchObject({ code: 'REPLACED' });
    expect((await edge.api('GET', `/api/hives/${hive.id}`)).body.online).toBe(true);
  });

  it('a silent agent is dropped with HEARTBEAT_TIMEOUT (4000)', async () => {
    edge = await inProcessEdge({ heartbeatMs: 100 });
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    a.autoPong = false;
    await a.hello();
    expect((await a.closed).code).toBe(4000);
    expect(a.received.filter((m) => m.type === 'ping').length).toBeGreaterThanOrEqual(1);
  });

  it('a stalled edge pings before it drops: a hive that answers stays connected', async () => {
    edge = await inProcessEdge({ heartbeatMs: 100 });
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    // The edge's event loop (this process's) stalls for six heartbeat intervals.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
    const pings = a.received.filter((m) => m.type === 'ping').length;
    await expect
      .poll(() => a.received.filter((m) => m.type === 'ping').length)
      .toBeGreaterThanOrEqual(pings + 5);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
  });

  it('an agent that answers pings stays connected through many heartbeat intervals', async () => {
    edge = await inProcessEdge({ heartbeatMs: 200 });
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    await expect
      .poll(() => a.received.filter((m) => m.type === 'ping').length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(10);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
  });
});

describe('jobs over the socket', () => {
  it('delivers a job, stores its log once, and streams it over SSE to the end', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    const job = await install(hive.id);
    const msg = await a.next<{ type: 'job'; job: { id: string; worker: string; kind: string } }>(
      'job',
    );
    expect(msg.job).toMatchObject({
      id: job.id,
      kind: 'install',
      worker: 'rbee-hello-worker',
      hive: hive.id,
      build: 'if-missing',
    });
    expect((await edge.api('GET', `/api/jobs/${job.id}`)).body.job.state).toBe('dispatched');
    a.send({ type: 'accept', job: job.id, duplicate: false });
    a.send({ type: 'job_state', job: job.id, state: 'running', step: 'build' });
    a.send({
      type: 'logs',
      job: job.id,
      entries: [{ s: 0, t: 1, k: 'step', step: 'build', phase: 'start' }, ...lines(1, 50)],
    });
    expect(await a.next('ack')).toMatchObject({ job: job.id, next_seq: 50 });
    // A resend overlapping what is stored is harmless: each seq is stored once.
    a.send({ type: 'logs', job: job.id, entries: lines(40, 100) });
    expect(await a.next('ack')).toMatchObject({ next_seq: 100 });
    expect((await edge.api('GET', `/api/jobs/${job.id}`)).body.job).toMatchObject({
      state: 'running',
      step: 'build',
      log_entries: 100,
    });
    a.send({ type: 'job_done', job: job.id, outcome: 'succeeded', total: 100 });
    expect(await a.next('done_ack')).toMatchObject({ job: job.id });
    const events = await readSse(`${edge.url}/api/jobs/${job.id}/logs`, {
      Authorization: `Bearer ${ADMIN}`,
    });
    const entries = entriesOf(events);
    expect(entries.map((e) => e.s)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(events[0]!.event).toBe('state');
    expect(events.at(-1)).toMatchObject({ event: 'end' });
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ state: 'succeeded' });
    const txt = await fetch(`${edge.url}/api/jobs/${job.id}/logs.txt`, {
      headers: { Authorization: `Bearer ${ADMIN}` },
    });
    const text = await txt.text();
    expect(text.split('\n')[0]).toBe('==> build start');
    expect(text.split('\n')[99]).toBe('line 99');
  });

  it('job_done before the last entries waits for them; SSE follows live and replays from Last-Event-ID', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    const job = await install(hive.id);
    await a.next('job');
    a.send({ type: 'logs', job: job.id, entries: lines(0, 10) });
    await a.next('ack');
    const live = readSse(`${edge.url}/api/jobs/${job.id}/logs`, {
      Authorization: `Bearer ${ADMIN}`,
    });
    a.send({
      type: 'job_done',
      job: job.id,
      outcome: 'failed',
      total: 20,
      error: { message: 'build() failed with exit code 2', step: 'build', exit_code: 2 },
    });
    await expect
      .poll(async () => (await edge.api('GET', `/api/jobs/${job.id}`)).body.job.pending_done)
      .not.toBeNull();
    expect((await edge.api('GET', `/api/jobs/${job.id}`)).body.job.state).toBe('dispatched');
    a.send({ type: 'logs', job: job.id, entries: lines(10, 20) });
    expect(await a.next('done_ack')).toMatchObject({ job: job.id });
    const events = await live;
    expect(entriesOf(events).map((e) => e.s)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({
      state: 'failed',
      error: { exit_code: 2, step: 'build' },
    });
    const replay = await readSse(`${edge.url}/api/jobs/${job.id}/logs`, {
      Authorization: `Bearer ${ADMIN}`,
      'Last-Event-ID': '14',
    });
    expect(entriesOf(replay).map((e) => e.s)).toEqual([15, 16, 17, 18, 19]);
    const from = await readSse(`${edge.url}/api/jobs/${job.id}/logs?from=18`, {
      Authorization: `Bearer ${ADMIN}`,
    });
    expect(entriesOf(from).map((e) => e.s)).toEqual([18, 19]);
  });

  it('a job for an offline hive waits, and is delivered when the hive connects', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const job = await install('h1');
    expect(job.state).toBe('queued');
    const a = agent(hive.token);
    await a.hello();
    expect((await a.next<{ type: 'job'; job: { id: string } }>('job')).job.id).toBe(job.id);
  });

  it('a dispatched job not in the agent ledger is sent again on reconnect; a listed one is not', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    const j1 = await install(hive.id);
    const j2 = await install(hive.id);
    await a.next('job');
    await a.next('job');
    a.ws.terminate();
    await a.closed;
    const b = agent(hive.token);
    const welcome = await b.hello([{ id: j1.id, next_seq: 0 }]);
    expect(welcome.jobs).toEqual([{ id: j1.id, next_seq: 0, cancel: false }]);
    expect((await b.next<{ type: 'job'; job: { id: string } }>('job')).job.id).toBe(j2.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.received.filter((m) => m.type === 'job')).toHaveLength(1);
  });

  it('a passed delivery deadline gives delivery_timed_out', async () => {
    edge = await inProcessEdge({ deliveryTimeoutMs: 50, sweepIntervalMs: 20 });
    await edge.enrol('h1');
    const job = await install('h1');
    await expect
      .poll(async () => (await edge.api('GET', `/api/jobs/${job.id}`)).body.job.state)
      .toBe('delivery_timed_out');
    const cancel = await edge.api('POST', `/api/jobs/${job.id}/cancel`);
    expect(cancel).toEqual({
      status: 409,
      body: { code: 'JOB_FINISHED', error: `job ${job.id} is already delivery_timed_out` },
    });
  });

  it('cancel: a queued job at once; a running one through its agent', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const queued = await install('h1');
    expect((await edge.api('POST', `/api/jobs/${queued.id}/cancel`)).body.job.state).toBe(
      'cancelled',
    );
    const a = agent(hive.token);
    await a.hello();
    const job = await install('h1');
    await a.next('job');
    a.send({ type: 'job_state', job: job.id, state: 'running', step: 'build' });
    await expect
      .poll(async () => (await edge.api('GET', `/api/jobs/${job.id}`)).body.job.state)
      .toBe('running');
    const res = await edge.api('POST', `/api/jobs/${job.id}/cancel`);
    expect(res.status).toBe(202);
    expect(res.body.job).toMatchObject({ state: 'running', cancel_requested: true });
    expect(await a.next('cancel')).toMatchObject({ job: job.id });
    a.send({ type: 'job_done', job: job.id, outcome: 'cancelled', total: 0 });
    await a.next('done_ack');
    expect((await edge.api('GET', `/api/jobs/${job.id}`)).body.job.state).toBe('cancelled');
    const jobs = await edge.api('GET', '/api/jobs?hive=h1&state=cancelled');
    expect(jobs.body.jobs.map((j: { id: string }) => j.id).sort()).toEqual(
      [queued.id, job.id].sort(),
    );
  });

  it('refuses installs for unknown hives and workers, and bad job queries', async () => {
    edge = await inProcessEdge();
    await edge.enrol('h1');
    expect(
      (await edge.api('POST', '/api/installs', { hive: 'nope', worker: 'rbee-hello-worker' })).body
        .code,
    ).toBe('UNKNOWN_HIVE');
    expect(
      (await edge.api('POST', '/api/installs', { hive: 'h1', worker: 'nope' })).body.code,
    ).toBe('UNKNOWN_WORKER');
    expect(
      (await edge.api('POST', '/api/installs', { hive: 'h1', worker: '../x' })).body,
    ).toMatchObject({ code: 'BAD_REQUEST', error: expect.stringMatching(/^worker:/) });
    expect((await edge.api('GET', '/api/jobs?state=nope')).body.code).toBe('BAD_REQUEST');
    expect((await edge.api('GET', '/api/jobs/job_nope1234')).status).toBe(404);
    expect((await edge.api('GET', '/api/jobs')).body.jobs).toEqual([]);
  });
});

describe('bad input on the agent socket', () => {
  /** Each case: what the bad agent sends after hello, the code and close code it must get. */
  const cases: Array<
    [string, (a: RawAgent, foreignJob: string, ownJob: string) => void, string, number]
  > = [
    [
      'an unknown message type',
      (a) => a.send({ type: 'shell', cmd: 'rm -rf /' }),
      'UNKNOWN_TYPE',
      1003,
    ],
    ['malformed JSON', (a) => a.sendRaw('{"v":1,"type":'), 'BAD_JSON', 1007],
    ['a binary frame', (a) => a.sendRaw(Buffer.from([1, 2, 3])), 'BAD_JSON', 1007],
    [
      'a wrong protocol version',
      (a) => a.sendRaw('{"v":2,"type":"ping","ts":1}'),
      'BAD_VERSION',
      1002,
    ],
    [
      'a message that breaks its schema',
      (a) => a.send({ type: 'ping', ts: 'soon' }),
      'BAD_MESSAGE',
      1007,
    ],
    [
      "logs for another hive's job",
      (a, foreign) => a.send({ type: 'logs', job: foreign, entries: lines(0, 3) }),
      'NOT_YOUR_JOB',
      1008,
    ],
    [
      'seq going backwards in a frame',
      (a, _f, own) => a.send({ type: 'logs', job: own, entries: [...lines(0, 3), ...lines(1, 2)] }),
      'SEQ_ORDER',
      1002,
    ],
    [
      'a seq gap',
      (a, _f, own) => a.send({ type: 'logs', job: own, entries: lines(5, 8) }),
      'SEQ_GAP',
      1002,
    ],
    [
      'a message flood',
      (a) => {
        for (let i = 0; i < 500; i++) a.send({ type: 'ping', ts: i });
      },
      'FLOOD',
      1008,
    ],
    [
      'a second hello',
      (a) =>
        a.send({
          type: 'hello',
          agent_version: 'x',
          protocol: 1,
          platform: { os: 'linux', arch: 'x86_64', accelerators: [] },
          installed: [],
          jobs: [],
        }),
      'HELLO_REQUIRED',
      1002,
    ],
  ];

  for (const [name, misbehave, code, closeCode] of cases) {
    it(`refuses ${name} with ${code} (${closeCode}); nothing is stored and other hives are served`, async () => {
      edge = await inProcessEdge({ maxMessagesPerSecond: 100 });
      const bad = await edge.enrol('bad');
      const good = await edge.enrol('good');
      const goodAgent = agent(good.token);
      await goodAgent.hello();
      const foreign = await install('good');
      await goodAgent.next('job');
      const badAgent = agent(bad.token);
      await badAgent.hello();
      const own = await install('bad');
      await badAgent.next('job');
      misbehave(badAgent, foreign.id, own.id);
      const closed = await badAgent.closed;
      expect(closed.code).toBe(closeCode);
      expect(badAgent.received.find((m) => m.type === 'error')).toMatchObject({
        code,
        message: expect.any(String),
      });
      expect((await edge.api('GET', `/api/jobs/${foreign.id}`)).body.job.log_entries).toBe(0);
      expect((await edge.api('GET', `/api/jobs/${own.id}`)).body.job.log_entries).toBe(0);
      goodAgent.send({ type: 'logs', job: foreign.id, entries: lines(0, 3) });
      expect(await goodAgent.next('ack')).toMatchObject({ next_seq: 3 });
    });
  }

  it('refuses a message before hello with HELLO_REQUIRED', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.opened;
    a.send({ type: 'ping', ts: 1 });
    expect((await a.closed).code).toBe(1002);
    expect(a.received[0]).toMatchObject({ type: 'error', code: 'HELLO_REQUIRED' });
  });

  it('closes a frame over maxFrameBytes with 1009, at the limit it is accepted', async () => {
    edge = await inProcessEdge({ maxFrameBytes: 4096 });
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    const frame = (size: number) => {
      const base = JSON.stringify({ v: 1, type: 'ping', ts: 1, pad: '' });
      return JSON.stringify({
        v: 1,
        type: 'pong',
        ts: Number('1'.padEnd(Math.max(1, size - base.length + 10), '0').slice(0, 15)),
      }).padEnd(size, ' ');
    };
    a.sendRaw(frame(4096));
    a.send({ type: 'ping', ts: 7 });
    expect(await a.next('pong')).toMatchObject({ ts: 7 });
    a.sendRaw(frame(4097));
    expect((await a.closed).code).toBe(1009);
  });

  it('refuses a log frame that would take the job over maxLogBytesPerJob, keeping what was stored', async () => {
    edge = await inProcessEdge({ maxLogBytesPerJob: 20_000 });
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    const job = await install('h1');
    await a.next('job');
    a.send({ type: 'logs', job: job.id, entries: lines(0, 100) });
    expect(await a.next('ack')).toMatchObject({ next_seq: 100 });
    a.send({ type: 'logs', job: job.id, entries: lines(100, 1000) });
    expect((await a.closed).code).toBe(1008);
    expect(a.received.find((m) => m.type === 'error')).toMatchObject({ code: 'LOG_TOO_LARGE' });
    expect((await edge.api('GET', `/api/jobs/${job.id}`)).body.job.log_entries).toBe(100);
  });
});

describe('durability', () => {
  it('hives, tokens, jobs and logs survive an edge restart on the same data dir', async () => {
    edge = await inProcessEdge();
    const dataDir = edge.dataDir;
    const hive = await edge.enrol('h1');
    const a = agent(hive.token);
    await a.hello();
    const job = await install('h1');
    await a.next('job');
    a.send({ type: 'logs', job: job.id, entries: lines(0, 30) });
    await a.next('ack');
    await edge.close();
    await a.closed;
    edge = await inProcessEdge({}, dataDir);
    const b = agent(hive.token);
    const welcome = await b.hello([{ id: job.id, next_seq: 45 }]);
    expect(welcome.jobs).toEqual([{ id: job.id, next_seq: 30, cancel: false }]);
    b.send({ type: 'logs', job: job.id, entries: lines(30, 45) });
    expect(await b.next('ack')).toMatchObject({ next_seq: 45 });
    b.send({ type: 'job_done', job: job.id, outcome: 'succeeded', total: 45 });
    await b.next('done_ack');
    const events = await readSse(`${edge.url}/api/jobs/${job.id}/logs`, {
      Authorization: `Bearer ${ADMIN}`,
    });
    expect(entriesOf(events).map((e) => e.s)).toEqual(Array.from({ length: 45 }, (_, i) => i));
  });
});
