import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  type EdgeProcess,
  followJob,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { entriesOf } from '../support/sse.ts';
import { freePort, TcpProxy } from '../support/tcp-proxy.ts';

/** Each test runs real builds through real processes: minutes on a loaded machine. */
const REAL_BUILD_LIMIT_MS = 300_000;

/** Edge and agent as separate processes, talking over real sockets. */
let edge: EdgeProcess | null = null;
const agents: AgentProcess[] = [];
let proxy: TcpProxy | null = null;
const api = adminApi(() => edge!.url);
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop('SIGKILL');
  await proxy?.close();
  proxy = null;
  await edge?.stop('SIGKILL');
  edge = null;
});

async function enrol(name: string) {
  const res = await api('POST', '/api/hives', { name });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string };
}

async function install(hive: string, worker: string) {
  const res = await api('POST', '/api/installs', { force: true, hive, worker });
  expect(res.status).toBe(201);
  return res.body.job as { id: string };
}

async function logText(job: string) {
  const res = await fetch(`${edge!.url}/api/jobs/${job}/logs.txt`, {
    headers: { Authorization: `Bearer ${ADMIN}` },
  });
  return res.text();
}

/** The seq after the last whole batch in an agent's spool for a job (0 when it has none). */
function spoolEnd(stateDir: string, job: string): number {
  const dir = join(stateDir, 'spool', job);
  let end = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      try {
        const batch = JSON.parse(line) as Array<{ s: number }>;
        end = Math.max(end, batch.at(-1)!.s + 1);
      } catch {
        // the empty text after the last newline, or a batch half written
      }
    }
  }
  return end;
}

/** The numbered build lines of a log, in the order stored. */
const numbered = (text: string) => text.split('\n').filter((l) => /^line \d{6}$/.test(l));
const expected200k = Array.from(
  { length: 200_000 },
  (_, i) => `line ${String(i + 1).padStart(6, '0')}`,
);

describe('edge and agent as separate processes', { timeout: REAL_BUILD_LIMIT_MS }, () => {
  it('installs the offline demo worker; an SSE client gets every entry in order and the outcome', async () => {
    edge = await startEdgeProcess();
    const hive = await enrol('e2e');
    agents.push(startAgentProcess(edge.url, hive.token));
    await expect
      .poll(async () => (await api('GET', '/api/hives/e2e')).body.online, { timeout: 120_000 })
      .toBe(true);
    const job = await install('e2e', 'rbee-hello-worker');
    const events = await followJob(edge.url, job.id);
    const entries = entriesOf(events);
    expect(entries.map((e) => e.s)).toEqual(entries.map((_, i) => i));
    const steps = events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
    const started = steps.filter((s) => s.phase === 'start').map((s) => s.step);
    expect(started).toEqual(
      expect.arrayContaining(['sources', 'checksums', 'build', 'check', 'package']),
    );
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ state: 'succeeded', error: null });
    const shown = (await api('GET', `/api/jobs/${job.id}`)).body.job;
    expect(shown).toMatchObject({ state: 'succeeded', log_entries: entries.length });
    expect(shown.accepted_at).toEqual(expect.any(Number));
  });

  it('a failed build says which step, the exit code and the last lines', async () => {
    edge = await startEdgeProcess();
    const hive = await enrol('e2e');
    agents.push(startAgentProcess(edge.url, hive.token));
    const job = await install('e2e', 'test-failing-worker');
    const events = await followJob(edge.url, job.id);
    const end = JSON.parse(events.at(-1)!.data);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ step: 'build', exit_code: 2 });
    expect(end.error.message).toMatch(/^build\(\) failed with exit code 2/);
    expect(end.error.last_lines).toEqual(
      expect.arrayContaining(['compiling part 2', 'warning: something odd']),
    );
    const stderr = entriesOf(events).find((e) => e.x === 'warning: something odd');
    expect(stderr?.k).toBe('e');
  });

  it('a job for an offline hive waits and runs when the hive connects', async () => {
    edge = await startEdgeProcess();
    const hive = await enrol('later');
    const job = await install('later', 'rbee-hello-worker');
    expect((await api('GET', `/api/jobs/${job.id}`)).body.job.state).toBe('queued');
    agents.push(startAgentProcess(edge.url, hive.token));
    const events = await followJob(edge.url, job.id);
    expect(JSON.parse(events.at(-1)!.data).state).toBe('succeeded');
  });

  it('cancel reaches the running build: cancelled, and its background child is gone', async () => {
    edge = await startEdgeProcess();
    const hive = await enrol('e2e');
    agents.push(startAgentProcess(edge.url, hive.token));
    const job = await install('e2e', 'test-slow-worker');
    let child = 0;
    await expect
      .poll(
        async () => {
          const m = /background child (\d+)/.exec(await logText(job.id));
          child = m ? Number(m[1]) : 0;
          return child;
        },
        { timeout: 120_000 },
      )
      .toBeGreaterThan(0);
    await expect
      .poll(async () => (await logText(job.id)).includes('still building 3'), { timeout: 120_000 })
      .toBe(true);
    expect((await api('POST', `/api/jobs/${job.id}/cancel`)).status).toBe(202);
    const events = await followJob(edge.url, job.id);
    expect(JSON.parse(events.at(-1)!.data).state).toBe('cancelled');
    const alive = () => {
      try {
        process.kill(child, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, { timeout: 120_000 }).toBe(false);
  });
});

describe('faults', { timeout: REAL_BUILD_LIMIT_MS }, () => {
  it('10 cuts of the agent TCP connection during a 200,000-line build lose and double nothing', async () => {
    edge = await startEdgeProcess(['--heartbeat-ms', '1000']);
    const hive = await enrol('flaky');
    const target = new URL(edge.url);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    const viaProxy = await proxy.listen();
    agents.push(startAgentProcess(viaProxy, hive.token));
    await expect
      .poll(async () => (await api('GET', '/api/hives/flaky')).body.online, { timeout: 120_000 })
      .toBe(true);
    const job = await install('flaky', 'test-lines-200k');
    const live = followJob(edge.url, job.id);
    // Cut whenever the log has grown since the last cut, until ten cuts landed mid-build.
    let lastCutAt = -1;
    while (proxy.cuts < 10) {
      const { body } = await api('GET', `/api/jobs/${job.id}`);
      if (['succeeded', 'failed', 'cancelled'].includes(body.job.state)) break;
      if (body.job.log_entries > lastCutAt + 2000 && proxy.open > 0) {
        lastCutAt = body.job.log_entries;
        proxy.cut();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(proxy.cuts).toBe(10);
    const events = await live;
    expect(JSON.parse(events.at(-1)!.data).state).toBe('succeeded');
    const entries = entriesOf(events);
    expect(entries.map((e) => e.s)).toEqual(entries.map((_, i) => i));
    expect(entries.filter((e) => e.x?.startsWith('line ')).map((e) => e.x)).toEqual(expected200k);
    expect(numbered(await logText(job.id))).toEqual(expected200k);
    expect(agents[0]!.output()).toMatch(/disconnected/);
  });

  it('kill -9 of an agent cut off from the edge: a new agent on its state sends every spooled line, and the job fails as restarted', async () => {
    edge = await startEdgeProcess(['--heartbeat-ms', '1000']);
    const hive = await enrol('phoenix');
    const target = new URL(edge.url);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    const viaProxy = await proxy.listen();
    const stateDir = tempDir('e2e-agent-state');
    agents.push(startAgentProcess(viaProxy, hive.token, stateDir));
    await expect
      .poll(async () => (await api('GET', '/api/hives/phoenix')).body.online, { timeout: 120_000 })
      .toBe(true);
    const job = await install('phoenix', 'test-lines-200k');
    await expect
      .poll(async () => (await api('GET', `/api/jobs/${job.id}`)).body.job.log_entries, {
        timeout: 120_000,
      })
      .toBeGreaterThan(10_000);
    // The edge becomes unreachable; the build goes on into the spool until the window is full.
    await proxy.close();
    proxy = null;
    const stored = (await api('GET', `/api/jobs/${job.id}`)).body.job.log_entries as number;
    await expect
      .poll(() => spoolEnd(stateDir, job.id), { timeout: 120_000 })
      .toBeGreaterThan(stored + 20_000);
    await agents[0]!.stop('SIGKILL');
    const onDisk = spoolEnd(stateDir, job.id);

    agents.push(startAgentProcess(edge.url, hive.token, stateDir));
    const events = await followJob(edge.url, job.id);
    const end = JSON.parse(events.at(-1)!.data);
    expect(end.state).toBe('failed');
    expect(end.error.message).toMatch(/agent restarted during the build/);
    const entries = entriesOf(events);
    expect(entries.map((e) => e.s)).toEqual(entries.map((_, i) => i));
    // Everything the first agent spooled reached the edge, once, in order, and nothing else.
    expect(entries).toHaveLength(onDisk);
    const lines = numbered(await logText(job.id));
    expect(lines).toEqual(expected200k.slice(0, lines.length));
    expect(lines.length).toBe(entries.filter((e) => e.x?.startsWith('line ')).length);
    expect(lines.length).toBeGreaterThan(stored + 20_000 - 100); // less the step entries
  });

  it('kill -9 of the edge mid-build: the agent reconnects, the build finishes, the log is complete', async () => {
    const port = String(await freePort());
    const dataDir = tempDir('e2e-restart');
    edge = await startEdgeProcess(['--port', port], dataDir);
    const hive = await enrol('survivor');
    agents.push(startAgentProcess(edge.url, hive.token));
    await expect
      .poll(async () => (await api('GET', '/api/hives/survivor')).body.online, { timeout: 120_000 })
      .toBe(true);
    const job = await install('survivor', 'test-lines-200k');
    await expect
      .poll(async () => (await api('GET', `/api/jobs/${job.id}`)).body.job.log_entries, {
        timeout: 120_000,
      })
      .toBeGreaterThan(20_000);
    await edge.stop('SIGKILL');
    edge = await startEdgeProcess(['--port', port], dataDir);
    const events = await followJob(edge.url, job.id);
    expect(JSON.parse(events.at(-1)!.data).state).toBe('succeeded');
    const entries = entriesOf(events);
    expect(entries.map((e) => e.s)).toEqual(entries.map((_, i) => i));
    expect(numbered(await logText(job.id))).toEqual(expected200k);
  });
});
