import { execFile, execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** Build once, install many: one edge process, hives as agent processes of one platform. */
let edge: EdgeProcess;
let dataDir: string;
const agents: AgentProcess[] = [];
const api = adminApi(() => edge.url);

beforeAll(async () => {
  dataDir = tempDir('e2e-edge');
  edge = await startEdgeProcess([], dataDir);
}, 60_000);

afterAll(async () => {
  for (const a of agents.splice(0)) await a.stop('SIGKILL');
  await edge?.stop('SIGKILL');
});

async function hiveWithAgent(name: string) {
  const res = await api('POST', '/api/hives', { name });
  expect(res.status).toBe(201);
  const state = tempDir('e2e-agent');
  agents.push(startAgentProcess(edge.url, res.body.token, state));
  await expect
    .poll(async () => (await api('GET', `/api/hives/${name}`)).body.online, { timeout: 90_000 })
    .toBe(true);
  return { id: res.body.id as string, name, root: join(state, 'root') };
}

async function install(hive: string, worker: string, build?: string) {
  const created = await api('POST', '/api/installs', {
    force: true,
    hive,
    worker,
    ...(build ? { build } : {}),
  });
  expect(created.status).toBe(201);
  const job = created.body.job.id as string;
  const events = await followJob(edge.url, job);
  const steps = events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  const final = (await api('GET', `/api/jobs/${job}`)).body.job;
  const log = await (
    await fetch(`${edge.url}/api/jobs/${job}/logs.txt`, {
      headers: { Authorization: `Bearer ${ADMIN}` },
    })
  ).text();
  return {
    job,
    final,
    log,
    started: steps.filter((s) => s.phase === 'start').map((s) => s.step as string),
  };
}

/** Every path under a root with its type, mode and content: two installs compare equal. */
function tree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, path));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) out.push(`${path}/ ${mode}`, ...tree(root, path));
    else out.push(`${path} ${mode} ${readFileSync(join(root, path)).toString('base64')}`);
  }
  return out;
}

const bsdtar = (...args: string[]) => execFileSync('bsdtar', args, { encoding: 'utf8' });
/** Long commands run without blocking the loop (a blocked loop reuses sockets the edge closed). */
const run = async (cmd: string, args: string[]) => (await promisify(execFile)(cmd, args)).stdout;

describe('the package cache across hives (edge and agent processes)', () => {
  let first: Awaited<ReturnType<typeof hiveWithAgent>>;
  let second: Awaited<ReturnType<typeof hiveWithAgent>>;
  let built: Awaited<ReturnType<typeof install>>;

  it('the first hive builds and uploads; the second installs that package without building', async () => {
    [first, second] = await Promise.all([hiveWithAgent('many-a'), hiveWithAgent('many-b')]);
    // Only builders fill the cache (test/e2e/builder-trust.test.ts runs the signed path).
    expect((await api('POST', '/api/hives/many-a/builder', { builder: true })).status).toBe(200);
    built = await install('many-a', 'rbee-hello-worker');
    expect(built.final).toMatchObject({ state: 'succeeded', error: null });
    expect(built.started).toEqual(
      expect.arrayContaining(['cache', 'build', 'package', 'archive', 'upload', 'install']),
    );
    expect(built.log).toContain('miss: building here');

    const listed = (await api('GET', '/api/packages')).body.packages;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      worker: 'rbee-hello-worker',
      version: '1.0.0-1',
      built_by: first.id,
      job: built.job,
      facts: { os: 'linux', arch: 'x86_64', worker_type: 'cpu' },
    });
    expect(listed[0].files[0].filename).toMatch(/^rbee-hello-worker-1\.0\.0-1-x86_64\.pkg\.tar/);

    const cached = await install('many-b', 'rbee-hello-worker');
    expect(cached.final).toMatchObject({ state: 'succeeded', error: null });
    expect(cached.started).toEqual([
      'catalog',
      'platform',
      'fetch',
      'verify',
      'parse',
      'dependencies',
      'workspace',
      'cache',
      'download',
      'verify',
      'install',
      'capabilities',
      'cleanup',
    ]);
    expect(cached.log).toContain(
      `installed from cache: built on hive ${first.id} by job ${built.job}`,
    );
    expect(cached.log).not.toMatch(/build\(\)|Starting build/);
    expect(tree(second.root)).toEqual(tree(first.root));
    expect(tree(second.root).length).toBeGreaterThan(3);
    // Both hives report it installed: the listing counts them, per platform too.
    await expect
      .poll(async () => (await api('GET', '/api/packages')).body.workers, { timeout: 30_000 })
      .toEqual([
        {
          worker: 'rbee-hello-worker',
          platforms: [
            expect.objectContaining({
              os: 'linux',
              arch: 'x86_64',
              version: '1.0.0-1',
              used_by: 2,
            }),
          ],
        },
      ]);
  }, 400_000);

  it('build: never without a cached package fails at the cache step, naming the key', async () => {
    const run = await install('many-b', 'test-slow-worker', 'never');
    expect(run.final.state).toBe('failed');
    expect(run.final.error.step).toBe('cache');
    expect(run.final.error.message).toMatch(
      /^No cached package of test-slow-worker for this platform \(key [0-9a-f]{64}\) and build is never/,
    );
    expect(run.started).not.toContain('build');
  }, 120_000);

  it('serves a pacman repository that repo-add would write and pacman installs from', async () => {
    const db = new Uint8Array(await (await fetch(`${edge.url}/repo/x86_64/rbee.db`)).arrayBuffer());
    const work = tempDir('e2e-repo');
    writeFileSync(join(work, 'ours.db'), db);
    const record = (await api('GET', '/api/packages')).body.packages[0];
    const filename = record.files[0].filename as string;
    const pkg = new Uint8Array(
      await (await fetch(`${edge.url}/repo/x86_64/${encodeURIComponent(filename)}`)).arrayBuffer(),
    );
    mkdirSync(join(work, 'ref'));
    writeFileSync(join(work, 'ref', filename), pkg);
    await run('repo-add', ['-q', join(work, 'ref', 'ref.db.tar.gz'), join(work, 'ref', filename)]);
    const theirs = join(work, 'ref', 'ref.db.tar.gz');
    const ours = join(work, 'ours.db');
    expect(bsdtar('-tf', ours)).toBe(bsdtar('-tf', theirs));
    expect(bsdtar('-tf', ours)).toBe(
      'rbee-hello-worker-1.0.0-1/\nrbee-hello-worker-1.0.0-1/desc\n',
    );
    const desc = 'rbee-hello-worker-1.0.0-1/desc';
    expect(bsdtar('-xOf', ours, desc)).toBe(bsdtar('-xOf', theirs, desc));

    // Debian's pacman against a scratch root: the database is read and the package installs.
    const root = join(work, 'root');
    mkdirSync(join(root, 'db'), { recursive: true });
    const conf = join(work, 'pacman.conf');
    writeFileSync(
      conf,
      `[options]\nArchitecture = x86_64\nSigLevel = Never\nCacheDir = ${join(work, 'cache')}/\nLogFile = ${join(work, 'pacman.log')}\n\n[rbee]\nServer = ${edge.url}/repo/$arch\n`,
    );
    const pacman = (...args: string[]) =>
      run('pacman', [
        '--config',
        conf,
        '--root',
        root,
        '--dbpath',
        join(root, 'db'),
        '--noconfirm',
        ...args,
      ]);
    await pacman('-Sy');
    expect(await pacman('-Sl', 'rbee')).toBe('rbee rbee-hello-worker 1.0.0-1\n');
    await pacman('-S', '-dd', 'rbee-hello-worker');
    expect(readFileSync(join(root, 'usr/local/bin/rbee-hello-worker'), 'utf8')).toBe(
      readFileSync(join(first.root, 'usr/local/bin/rbee-hello-worker'), 'utf8'),
    );
  }, 120_000);

  it('a canary rollout builds on the first hive, then the rest install its package', async () => {
    const [old] = (await api('GET', '/api/packages')).body.packages;
    expect((await api('DELETE', `/api/packages/${old.key}`)).status).toBe(200);
    const created = await api('POST', '/api/installs', {
      force: true,
      hives: ['many-a', 'many-b'],
      worker: 'rbee-hello-worker',
      canary: 1,
    });
    expect(created.status).toBe(201);
    const [canary, rest] = created.body.jobs as { id: string; hive: string; state: string }[];
    expect(canary!.hive).toBe(first.id);
    expect(rest).toMatchObject({ hive: second.id, state: 'queued', held: true });
    const canaryEvents = await followJob(edge.url, canary!.id);
    expect(
      canaryEvents.some((e) => e.event === 'step' && JSON.parse(e.data).step === 'build'),
    ).toBe(true);
    const restEvents = await followJob(edge.url, rest!.id);
    const restSteps = restEvents
      .filter((e) => e.event === 'step')
      .map((e) => JSON.parse(e.data).step);
    expect(restSteps).toContain('download');
    expect(restSteps).not.toContain('build');
    await expect
      .poll(
        async () =>
          (await api('GET', `/api/rollouts/${created.body.rollout.id}`)).body.rollout.state,
        {
          timeout: 30_000,
        },
      )
      .toBe('succeeded');
    const [record] = (await api('GET', '/api/packages')).body.packages;
    expect(record).toMatchObject({ built_by: first.id, job: canary!.id });
  }, 300_000);

  it('a failed canary stops the rollout and the other hives never get the job', async () => {
    const created = await api('POST', '/api/installs', {
      force: true,
      hives: ['many-a', 'many-b'],
      worker: 'test-failing-worker',
      canary: 1,
    });
    const [canary, rest] = created.body.jobs as { id: string }[];
    await followJob(edge.url, canary!.id);
    await expect
      .poll(
        async () => (await api('GET', `/api/rollouts/${created.body.rollout.id}`)).body.rollout,
        {
          timeout: 30_000,
        },
      )
      .toMatchObject({ state: 'stopped', counts: { failed: 1, cancelled: 1 } });
    const job = (await api('GET', `/api/jobs/${rest!.id}`)).body.job;
    expect(job).toMatchObject({ state: 'cancelled', dispatched_at: null });
  }, 120_000);

  it('a package changed in the blob store is refused at verify and the job names the mismatch', async () => {
    const record = (await api('GET', '/api/packages')).body.packages[0];
    const sha = record.files[0].sha256 as string;
    const blob = join(dataDir, 'packages', sha);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(blob, bytes);
    const run = await install('many-b', 'rbee-hello-worker');
    expect(run.final.state).toBe('failed');
    expect(run.final.error.step).toBe('verify');
    expect(run.final.error.message).toContain(`the record says ${sha}`);
    expect(run.started).not.toContain('install');
  }, 120_000);
});
