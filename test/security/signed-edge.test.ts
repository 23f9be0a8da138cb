import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_TS, repoRoot, tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  type EdgeProcess,
  fixtureCatalog,
  followJob,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';

/** `rbee <args>` as a process; returns its exit code and output. */
function rbee(args: string[]) {
  const r = spawnSync(process.execPath, [...NODE_TS, 'cli/rbee.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const agents: AgentProcess[] = [];
let edge: EdgeProcess | null = null;
afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  await edge?.stop('SIGKILL');
});

describe('rbee keys generate and rbee catalog sign', () => {
  it('makes a 0600 private key and a public key, and never overwrites them', () => {
    const dir = tempDir('keys');
    const made = rbee(['keys', 'generate', '--out', join(dir, 'fleet')]);
    expect(made.code).toBe(0);
    expect(made.out).toMatch(/^key [0-9a-f]{16}\n/);
    expect(statSync(join(dir, 'fleet.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'fleet.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const before = readFileSync(join(dir, 'fleet.key'), 'utf8');
    const again = rbee(['keys', 'generate', '--out', join(dir, 'fleet')]);
    expect(again.code).toBe(1);
    expect(again.out).toContain('KEY_EXISTS');
    expect(readFileSync(join(dir, 'fleet.key'), 'utf8')).toBe(before);
  });

  it('refuses a git source on a branch and a SKIP checksum, unless the worker is named --unpinned', () => {
    const dir = tempDir('keys');
    rbee(['keys', 'generate', '--out', join(dir, 'fleet')]);
    const catalog = join(dir, 'catalog');
    cpSync(join(fixtureCatalog, 'test-slow-worker'), join(catalog, 'test-slow-worker'), {
      recursive: true,
    });
    const file = join(catalog, 'test-slow-worker', 'PKGBUILD');
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      `${text}\nsource=("git+https://example.invalid/x.git#branch=main" "https://example.invalid/a.tar.gz")\nsha256sums=('SKIP' 'SKIP')\n`,
    );
    const refused = rbee(['catalog', 'sign', '--key', join(dir, 'fleet.key'), catalog]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('UNPINNED_SOURCE: test-slow-worker');
    expect(refused.out).toContain('#branch=main is a VCS source without #commit=');
    expect(refused.out).toContain('a.tar.gz has no checksum (SKIP or missing)');
    expect(existsSync(join(catalog, 'test-slow-worker', 'statement.json'))).toBe(false);
    const allowed = rbee([
      'catalog',
      'sign',
      '--key',
      join(dir, 'fleet.key'),
      '--unpinned',
      'test-slow-worker',
      catalog,
    ]);
    expect(allowed.code).toBe(0);
    const envelope = JSON.parse(
      readFileSync(join(catalog, 'test-slow-worker', 'statement.json'), 'utf8'),
    );
    expect(JSON.parse(envelope.payload)).toMatchObject({
      worker: 'test-slow-worker',
      unpinned: true,
    });
  });
});

describe('the signed path through the real edge', () => {
  it('the edge serves the statements rbee catalog sign wrote, and the agent that trusts the key installs', async () => {
    const dir = tempDir('signed-edge');
    const key = join(dir, 'fleet');
    expect(rbee(['keys', 'generate', '--out', key]).code).toBe(0);
    const statements = join(dir, 'statements');
    const signed = rbee([
      'catalog',
      'sign',
      '--key',
      `${key}.key`,
      '--out',
      statements,
      join(repoRoot, 'edge', 'catalog', 'workers'),
    ]);
    expect(signed.out).toContain('signed 4 workers');
    edge = await startEdgeProcess(['--statements', statements]);
    const api = adminApi(() => edge!.url);
    const served = await fetch(`${edge.url}/workers/rbee-hello-worker/signature`);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe(
      readFileSync(join(statements, 'rbee-hello-worker', 'statement.json'), 'utf8'),
    );
    // The fixture workers have no statement: the edge says so, naming the rule.
    const unsigned = await fetch(`${edge.url}/workers/test-slow-worker/signature`);
    expect(unsigned.status).toBe(404);
    expect(((await unsigned.json()) as { code: string }).code).toBe('UNSIGNED');

    const hive = await api('POST', '/api/hives', { name: 'signed' });
    agents.push(
      startAgentProcess(edge.url, hive.body.token, tempDir('signed-agent'), [
        '--trust-key',
        `${key}.pub`,
      ]),
    );
    await expect
      .poll(async () => (await api('GET', '/api/hives/signed')).body.online, { timeout: 30_000 })
      .toBe(true);
    const job = await api('POST', '/api/installs', {
      force: true,
      hive: 'signed',
      worker: 'rbee-hello-worker',
    });
    const events = await followJob(edge.url, job.body.job.id);
    const verify = events
      .filter((e) => e.event === 'step')
      .map((e) => JSON.parse(e.data))
      .find((s) => s.step === 'verify' && s.phase === 'end');
    expect(verify).toMatchObject({ ok: true });
    expect(verify.note).toMatch(/^signed by [0-9a-f]{16}: PKGBUILD and 3 files match$/);
    expect((await api('GET', `/api/jobs/${job.body.job.id}`)).body.job.state).toBe('succeeded');

    // The unsigned fixture worker: refused at verify, naming the rule.
    const refused = await api('POST', '/api/installs', {
      force: true,
      hive: 'signed',
      worker: 'test-slow-worker',
    });
    await followJob(edge.url, refused.body.job.id);
    const final = (await api('GET', `/api/jobs/${refused.body.job.id}`)).body.job;
    expect(final.state).toBe('failed');
    expect(final.error.step).toBe('verify');
    expect(final.error.message).toMatch(/^UNSIGNED: test-slow-worker has no signed statement/);
  }, 120_000);
});

describe('an agent without a trusted key', () => {
  it('refuses to start without --trust-key or --allow-unsigned, naming the rule', () => {
    const r = rbee([
      'agent',
      '--edge',
      'http://127.0.0.1:9',
      '--token',
      'rbh_x',
      '--state',
      tempDir('no-key'),
    ]);
    // A configuration refusal: exit 78 (EX_CONFIG), the agent's code for "fix the flags".
    expect(r.code).toBe(78);
    expect(r.out).toContain('NO_TRUSTED_KEY: the agent runs only what the fleet key signed');
  });
});
