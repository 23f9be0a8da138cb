import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WelcomeMessage } from '../../../agent/connection/connection.ts';
import { createEdgeHttp } from '../../../agent/connection/edge-http.ts';
import { runBuild } from '../../../agent/executor/index.ts';
import { JobManager, type JobManagerOptions } from '../../../agent/jobs/job-manager.ts';
import type { JobSpec } from '../../../shared/protocol/index.ts';
import { buildPipeline } from './build-pipeline.ts';
import { catalogServer, EdgeDouble, pkgbuild } from './edge-double.ts';

const TOKEN = 'rbh_testtoken';
let catalog: Awaited<ReturnType<typeof catalogServer>>;

beforeAll(async () => {
  catalog = await catalogServer({
    lines: pkgbuild(
      'lines',
      'for i in $(seq 1 50); do echo "line $i"; done\n  echo "on stderr" >&2',
    ),
    many: pkgbuild(
      'many',
      'seq -f "line %g of many, padded to make the log a little heavier" 1 20000',
    ),
    sleeper: pkgbuild('sleeper', '  echo started\n  sleep 60\n  echo never'),
    failer: pkgbuild('failer', '  echo oops\n  exit 3'),
  });
});
afterAll(() => catalog.close());

/** A state folder the build user (nobody, when the tests run as root) can reach. */
async function stateDir() {
  const dir = await mkdtemp(join(tmpdir(), 'rbee-agent-'));
  await chmod(dir, 0o755);
  return dir;
}

const spec = (worker: string, extra: Partial<JobSpec> = {}): JobSpec => ({
  id: `job_${worker.replace(/[^a-z]/g, '')}${Math.random().toString(36).slice(2, 12)}`,
  kind: 'install',
  worker,
  ...extra,
});

const welcome = (jobs: WelcomeMessage['jobs'] = []): WelcomeMessage => ({
  v: 1,
  type: 'welcome',
  hive: 'hive_test',
  heartbeat_ms: 15_000,
  jobs,
});

async function open(dir: string, edge: EdgeDouble, extra: Partial<JobManagerOptions> = {}) {
  const logLines: string[] = [];
  const manager = await JobManager.open({
    stateDir: dir,
    installRoot: join(dir, 'root'),
    edgeHttp: createEdgeHttp({ base: catalog.base, token: TOKEN }),
    pipeline: buildPipeline(runBuild),
    log: (line) => logLines.push(line),
    ...extra,
  });
  edge.manager = manager;
  return { manager, logLines };
}

describe('JobManager with the real executor', () => {
  test('runs a job once: accept after the ledger write, steps, every line numbered, job_done, done_ack cleans up', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('lines');
    const ledgerFile = join(dir, 'jobs', `${job.id}.json`);
    let ledgerWrittenBeforeAccept = false;
    const send = edge.send;
    const { manager } = await open(dir, edge);
    manager.onWelcome(welcome(), (m) => {
      if ('type' in m && m.type === 'accept') ledgerWrittenBeforeAccept = existsSync(ledgerFile);
      return send(m);
    });
    manager.onMessage({ v: 1, type: 'job', job });

    expect(await edge.waitFor('accept')).toEqual({ type: 'accept', job: job.id, duplicate: false });
    expect(ledgerWrittenBeforeAccept).toBe(true);
    const done = await edge.waitFor('job_done');
    expect(done).toEqual({
      type: 'job_done',
      job: job.id,
      outcome: 'succeeded',
      total: done.total,
    });

    const log = edge.stored.get(job.id)!;
    expect(log.map((e) => e.s)).toEqual(log.map((_, i) => i));
    expect(log).toHaveLength(done.total);
    expect(edge.lines(job.id)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => `line ${i + 1}`),
      'on stderr',
    ]);
    expect(log.find((e) => e.k === 'e')).toMatchObject({ k: 'e', x: 'on stderr' });
    const steps = log.flatMap((e) => (e.k === 'step' && e.phase === 'start' ? [e.step] : []));
    expect(steps.slice(0, 3)).toEqual(['workspace', 'fetch', 'metadata']);
    expect(steps).toContain('build');
    const states = edge.messages.flatMap((m) => (m.type === 'job_state' ? [m.step] : []));
    expect(states).toEqual(steps);
    expect(catalog.authorizations).toContain(`Bearer ${TOKEN}`);

    // done_ack: the record is kept as reported, the spool is gone.
    await expect
      .poll(async () => JSON.parse(await readFile(ledgerFile, 'utf8')).state)
      .toBe('reported');
    expect(await readdir(join(dir, 'spool'))).toEqual([]);
    expect(manager.helloJobs()).toEqual([]);
    await manager.stop();
  });

  test('a redelivered job is answered duplicate and never run twice', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    edge.autoDoneAck = false;
    const job = spec('lines');
    const { manager } = await open(dir, edge);
    manager.onWelcome(welcome(), edge.send);
    manager.onMessage({ v: 1, type: 'job', job });
    manager.onMessage({ v: 1, type: 'job', job }); // while the first is being recorded
    const first = await edge.waitFor('job_done');
    manager.onMessage({ v: 1, type: 'job', job }); // finished, done_ack not yet received
    await edge.waitFor('job_done', (m) => m !== first);

    const accepts = edge.messages.filter((m) => m.type === 'accept');
    expect(accepts).toEqual([
      { type: 'accept', job: job.id, duplicate: false },
      { type: 'accept', job: job.id, duplicate: true },
      { type: 'accept', job: job.id, duplicate: true },
    ]);
    const log = edge.stored.get(job.id)!;
    expect(
      log.filter((e) => e.k === 'step' && e.step === 'workspace' && e.phase === 'start'),
    ).toHaveLength(1);
    const dones = edge.messages.filter((m) => m.type === 'job_done');
    expect(dones).toEqual([first, first]);
    await manager.stop();
  });

  test('cancel reaches a running build: job_done cancelled', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('sleeper');
    const { manager } = await open(dir, edge);
    manager.onWelcome(welcome(), edge.send);
    manager.onMessage({ v: 1, type: 'job', job });
    await edge.waitForLine(job.id, 'started');
    manager.onMessage({ v: 1, type: 'cancel', job: job.id });
    const done = await edge.waitFor('job_done');
    expect(done).toMatchObject({
      job: job.id,
      outcome: 'cancelled',
      error: { message: 'cancelled by the edge', step: 'build' },
    });
    expect(edge.lines(job.id)).not.toContain('never');
    manager.onMessage({ v: 1, type: 'cancel', job: job.id }); // finished: ignored
    manager.onMessage({ v: 1, type: 'cancel', job: 'job_unknown123' }); // unknown: ignored
    await manager.stop();
  });

  test("the job's timeout_ms stops the build: job_done timed_out", async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('sleeper', { timeout_ms: 1500 });
    const { manager } = await open(dir, edge);
    manager.onWelcome(welcome(), edge.send);
    manager.onMessage({ v: 1, type: 'job', job });
    expect(await edge.waitFor('job_done')).toMatchObject({
      outcome: 'timed_out',
      error: { message: 'job timed out after 1500 ms' },
    });
    await manager.stop();
  });

  test('a log past maxLogBytes stops the build as failed, keeping every line produced', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('many');
    const { manager } = await open(dir, edge, { maxLogBytes: 20_000 });
    manager.onWelcome(welcome(), edge.send);
    manager.onMessage({ v: 1, type: 'job', job });
    const done = await edge.waitFor('job_done');
    expect(done).toMatchObject({
      outcome: 'failed',
      error: { message: "the job's log passed 20000 bytes", step: 'build' },
    });
    const log = edge.stored.get(job.id)!;
    expect(log).toHaveLength(done.total);
    expect(log.map((e) => e.s)).toEqual(log.map((_, i) => i));
    expect(edge.lines(job.id).length).toBeLessThan(20_000);
    await manager.stop();
  });

  test('a failing build reports step, function, exit code and last lines', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('failer');
    const { manager } = await open(dir, edge);
    manager.onWelcome(welcome(), edge.send);
    manager.onMessage({ v: 1, type: 'job', job });
    const done = await edge.waitFor('job_done');
    expect(done).toMatchObject({
      outcome: 'failed',
      error: { step: 'build', function: 'build', exit_code: 3 },
    });
    expect(done.error?.last_lines).toContain('oops');
    expect(done.total).toBe(edge.stored.get(job.id)!.length);
    await manager.stop();
  });

  test("an unknown worker fails in the fetch step with the edge's reason", async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const missing = spec('no-such-worker');
    const { manager } = await open(dir, edge);
    manager.onWelcome(welcome(), edge.send);
    manager.onMessage({ v: 1, type: 'job', job: missing });
    expect(await edge.waitFor('job_done', (m) => m.job === missing.id)).toMatchObject({
      outcome: 'failed',
      error: {
        step: 'fetch',
        message: expect.stringMatching(/edge answered 404 UNKNOWN_WORKER: No worker with that id/),
      },
    });
    await manager.stop();
  });

  test("a restart mid-build: the job is reported failed, its spooled lines resent from the edge's next seq", async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('sleeper');
    const first = await open(dir, edge);
    first.manager.onWelcome(welcome(), edge.send);
    first.manager.onMessage({ v: 1, type: 'job', job });
    await edge.waitForLine(job.id, 'started');
    await first.manager.stop(); // stops the build without an outcome, as a crash would

    const stored = edge.stored.get(job.id)!;
    const spooled = stored.length;
    const edgeHas = 2; // pretend the edge stored only the first two entries
    const after = new EdgeDouble();
    after.stored.set(job.id, stored.slice(0, edgeHas));
    const second = await open(dir, after);
    expect(second.manager.helloJobs()).toEqual([{ id: job.id, next_seq: spooled }]);
    second.manager.onWelcome(
      welcome([{ id: job.id, next_seq: edgeHas, cancel: false }]),
      after.send,
    );

    const resent = after.messages.filter((m) => m.type === 'logs');
    expect(resent.flatMap((m) => (m.type === 'logs' ? m.entries.map((e) => e.s) : []))).toEqual(
      Array.from({ length: spooled - edgeHas }, (_, i) => edgeHas + i),
    );
    expect(await after.waitFor('job_done')).toEqual({
      type: 'job_done',
      job: job.id,
      outcome: 'failed',
      total: spooled,
      error: { message: 'agent restarted during the build' },
    });
    expect(after.stored.get(job.id)).toEqual(stored);
    await second.manager.stop();
  });

  test('a job the edge does not know after a restart is dropped with its spool', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    edge.autoDoneAck = false;
    const job = spec('lines');
    const first = await open(dir, edge);
    first.manager.onWelcome(welcome(), edge.send);
    first.manager.onMessage({ v: 1, type: 'job', job });
    await edge.waitFor('job_done');
    await first.manager.stop();
    expect(await readdir(join(dir, 'spool'))).toEqual([job.id]);

    const after = new EdgeDouble();
    const second = await open(dir, after);
    expect(second.manager.helloJobs()).toEqual([{ id: job.id, next_seq: expect.any(Number) }]);
    second.manager.onWelcome(welcome([]), after.send);
    await expect.poll(() => readdir(join(dir, 'spool'))).toEqual([]);
    expect(second.manager.helloJobs()).toEqual([]);
    expect(after.messages).toEqual([]);
    await second.manager.stop();
  });

  test('a cancel in welcome stops a job the agent recovered as queued', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('sleeper');
    // Two builds at once are not allowed: the second job waits in the queue.
    const first = await open(dir, edge);
    first.manager.onWelcome(welcome(), edge.send);
    const blocker = spec('sleeper');
    first.manager.onMessage({ v: 1, type: 'job', job: blocker });
    await edge.waitForLine(blocker.id, 'started');
    first.manager.onMessage({ v: 1, type: 'job', job });
    await edge.waitFor('accept', (m) => m.job === job.id);
    first.manager.onDisconnect();
    first.manager.onWelcome(welcome([{ id: job.id, next_seq: 0, cancel: true }]), edge.send);
    expect(await edge.waitFor('job_done', (m) => m.job === job.id)).toEqual({
      type: 'job_done',
      job: job.id,
      outcome: 'cancelled',
      total: 0,
      error: { message: 'cancelled before it started' },
    });
    await first.manager.stop();
  });

  test('a job cancelled while it waits goes from accepted straight to finished, never running', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    const job = spec('sleeper');
    const moves: string[] = [];
    const { manager } = await open(dir, edge, {
      ledger: {
        onChange: (record, from) => {
          if (record.job.id === job.id) moves.push(`${from ?? 'new'} -> ${record.state}`);
        },
      },
    });
    manager.onWelcome(welcome(), edge.send);
    const blocker = spec('sleeper');
    manager.onMessage({ v: 1, type: 'job', job: blocker });
    await edge.waitForLine(blocker.id, 'started');
    manager.onMessage({ v: 1, type: 'job', job });
    await edge.waitFor('accept', (m) => m.job === job.id);
    manager.onMessage({ v: 1, type: 'cancel', job: job.id });
    expect(await edge.waitFor('job_done', (m) => m.job === job.id)).toEqual({
      type: 'job_done',
      job: job.id,
      outcome: 'cancelled',
      total: 0,
      error: { message: 'cancelled before it started' },
    });
    await expect
      .poll(() => moves)
      .toEqual(['new -> accepted', 'accepted -> finished', 'finished -> reported']);
    expect(edge.lines(job.id)).toEqual([]);
    await manager.stop();
  });

  test('backpressure: without acks the build waits at the window; acks let it finish with every line once', async () => {
    const dir = await stateDir();
    const edge = new EdgeDouble();
    edge.autoAck = false;
    const job = spec('many');
    const windowBytes = 64 * 1024;
    const { manager } = await open(dir, edge, { logs: { windowBytes } });
    manager.onWelcome(welcome(), edge.send);
    manager.onMessage({ v: 1, type: 'job', job });
    await edge.waitForLine(job.id, 'line 100 of many, padded to make the log a little heavier');
    // However long we wait, nothing more than the window (plus the batch that filled it) is
    // produced while no ack comes: the build is blocked on its output pipe, not dropping.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const produced = edge.stored.get(job.id)!.length;
    expect(produced).toBeLessThan(20_000);
    expect(edge.messages.some((m) => m.type === 'job_done')).toBe(false);
    const bytes = edge.stored.get(job.id)!.reduce((n, e) => n + JSON.stringify(e).length + 1, 0);
    expect(bytes).toBeLessThan(windowBytes + 256 * 1024);

    edge.autoAck = true;
    edge.ack(job.id);
    const done = await edge.waitFor('job_done');
    expect(done.outcome).toBe('succeeded');
    const lines = edge.lines(job.id);
    expect(lines).toEqual(
      Array.from(
        { length: 20_000 },
        (_, i) => `line ${i + 1} of many, padded to make the log a little heavier`,
      ),
    );
    expect(edge.stored.get(job.id)!.map((e) => e.s)).toEqual(
      Array.from({ length: done.total }, (_, i) => i),
    );
    await manager.stop();
  });
});
