import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  type EdgeProcess,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { bundledCli, runCli, until } from './admin-cli.ts';

/**
 * The admin CLI as an operator runs it: the bundled dist/rbee.mjs, alone in a folder, with
 * plain node, against a real edge process and a real agent process.
 */
let edge: EdgeProcess;
let agent: AgentProcess;
let cli: string;
const dataDir = tempDir('cli-edge');
const api = adminApi(() => edge.url);
const env = () => ({ RBEE_EDGE: edge.url, RBEE_ADMIN_TOKEN: ADMIN });

beforeAll(async () => {
  [cli, edge] = await Promise.all([bundledCli(), startEdgeProcess([], dataDir)]);
  const hive = await api('POST', '/api/hives', { name: 'local' });
  agent = startAgentProcess(edge.url, hive.body.token);
  await until(async () => (await api('GET', '/api/hives/local')).body.online, 30_000, 'the hive');
}, 120_000);
afterAll(async () => {
  await agent?.stop('SIGKILL');
  await edge?.stop('SIGKILL');
});

describe('rbee admin CLI (bundled, outside the repo) against a real edge and agent', () => {
  it('install --follow prints the log with its steps and exits 0; jobs --json parses', async () => {
    const run = await runCli(
      cli,
      ['install', 'rbee-hello-worker', '--hive', 'local', '--follow'],
      env(),
    );
    expect(run.stderr).toMatch(
      /^job job_\w+: install rbee-hello-worker on hive_\w+ \(dispatched\)\n/,
    );
    expect(run.stderr).toContain('job succeeded\n');
    expect(run.stdout).toContain('==> build start');
    expect(run.stdout).toContain('==> install end');
    expect(run.code).toBe(0);
    const jobs = await runCli(cli, ['jobs', '--json', '--hive', 'local'], env());
    expect(jobs.code).toBe(0);
    const listed = JSON.parse(jobs.stdout) as { worker: string; state: string }[];
    expect(listed[0]).toMatchObject({ worker: 'rbee-hello-worker', state: 'succeeded' });
  }, 120_000);

  it('a failing build exits 1 with the failure on stderr, its output on stdout', async () => {
    const run = await runCli(
      cli,
      ['install', 'test-failing-worker', '--hive', 'local', '-f'],
      env(),
    );
    expect(run.stdout).toContain('compiling part 2\n');
    expect(run.stdout).toContain('==> build end (failed)');
    expect(run.stderr).toMatch(/job failed: .*build/);
    expect(run.code).toBe(1);
  }, 120_000);

  it('logs -f resumes after the edge restarts mid-build, without losing or doubling a line; a cancel exits 7', async () => {
    const created = await api('POST', '/api/installs', {
      hive: 'local',
      worker: 'test-slow-worker',
    });
    const job = created.body.job.id as string;
    let restarted: Promise<void> | null = null;
    let seen = '';
    const port = new URL(edge.url).port;
    const run = runCli(cli, ['logs', job, '-f'], env(), (out) => {
      seen = out;
      if (restarted || !out.includes('still building 5\n')) return;
      restarted = (async () => {
        await edge.stop('SIGTERM');
        edge = await startEdgeProcess(['--port', port], dataDir);
        await until(() => /still building 2\d\n/.test(seen), 60_000, 'lines after the restart');
        expect((await api('POST', `/api/jobs/${job}/cancel`)).status).toBe(202);
      })();
    });
    const result = await run;
    await restarted;
    expect(result.stderr).toContain('log stream lost');
    expect(result.stderr).toContain('job cancelled');
    expect(result.code).toBe(7);
    const numbers = result.stdout
      .split('\n')
      .flatMap((l) => (/^still building (\d+)$/.exec(l) ? [Number(/\d+$/.exec(l)![0])] : []));
    expect(numbers.length).toBeGreaterThan(20);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  }, 120_000);

  it('exit codes: not found 4, auth 3 (wrong token, and a viewer installing), usage 2, edge unreachable 6', async () => {
    const viewer = (await api('POST', '/api/tokens', { name: 'cli-viewer', role: 'viewer' })).body
      .token as string;
    const closed = await closedPort();
    const [missing, wrong, forbidden, usage, down] = await Promise.all([
      runCli(cli, ['hives', 'show', 'nope'], env()),
      runCli(cli, ['jobs'], { RBEE_EDGE: edge.url, RBEE_ADMIN_TOKEN: 'rba_wrong' }),
      runCli(cli, ['install', 'rbee-hello-worker', '--hive', 'local'], {
        RBEE_EDGE: edge.url,
        RBEE_ADMIN_TOKEN: viewer,
      }),
      runCli(cli, ['install', 'rbee-hello-worker'], env()),
      runCli(cli, ['hives', '--edge', `http://127.0.0.1:${closed}`], env()),
    ]);
    expect(missing.stderr).toBe('rbee hives: no hive with id or name "nope" (UNKNOWN_HIVE)\n');
    expect(missing.code).toBe(4);
    expect(wrong.stderr).toBe('rbee jobs: the admin token is wrong (UNAUTHORIZED)\n');
    expect(wrong.code).toBe(3);
    expect(forbidden.stderr).toBe(
      'rbee install: POST /api/installs needs the operator role; token "cli-viewer" has viewer (FORBIDDEN)\n',
    );
    expect(forbidden.code).toBe(3);
    expect(usage.stderr).toContain('give exactly one of --hive, --hives or --selector');
    expect(usage.code).toBe(2);
    expect(down.stderr).toMatch(
      /^rbee hives: cannot reach the edge at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED \(UNREACHABLE\)\n$/,
    );
    expect(down.code).toBe(6);
  }, 120_000);
});

/** A port nothing listens on: bound, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
