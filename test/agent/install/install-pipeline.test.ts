import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readManifest } from '../../../agent/install/manifest.ts';
import { tempDir } from '../../support/edge-process.ts';
import { DEMO_INSTALL_STEPS } from '../../support/fleet.ts';
import { catalogServer, stateDir, writeHelloVariant } from './catalog-server.ts';
import { runJob } from './run-job.ts';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every file under a folder, relative, sorted (the staging folder must never remain). */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(relative(root, join(dir, e.name)));
    }
  };
  walk(root);
  return out.sort();
}

const v1Files = [
  'etc/rbee/hello-worker.conf',
  'usr/local/bin/rbee-hello-worker',
  'usr/local/share/man/man1/rbee-hello-worker.1.gz',
];

describe('install pipeline: the offline demo worker into a temporary install root', () => {
  let v1: Awaited<ReturnType<typeof catalogServer>>;
  let v2: Awaited<ReturnType<typeof catalogServer>>;
  beforeAll(async () => {
    v1 = await catalogServer((dir) => writeHelloVariant(dir));
    // 1.1.0 drops the man page and ships a new default config.
    v2 = await catalogServer((dir) =>
      writeHelloVariant(dir, { version: '1.1.0', man: false, conf: 'greeting="Hello v2"\n' }),
    );
  });
  afterAll(async () => {
    await v1.close();
    await v2.close();
  });

  test('every step reported in order; manifest matches the files on disk; capabilities written and reported', async () => {
    const state = stateDir();
    const root = tempDir('root');
    const run = await runJob(v1.url, state, root, { kind: 'install', worker: 'rbee-hello-worker' });
    expect(run.result).toEqual({ outcome: 'succeeded' });
    expect(run.started).toEqual(DEMO_INSTALL_STEPS);
    expect(run.lines).toContain('bash: command');
    const manifest = (await readManifest(state, 'rbee-hello-worker'))!;
    expect(manifest.version).toBe('1.0.0-1');
    expect(manifest.files.map((f) => f.path)).toEqual(v1Files);
    expect(filesUnder(root)).toEqual(v1Files);
    for (const f of manifest.files) {
      const path = join(root, f.path);
      expect(f.sha256).toBe(sha(path));
      expect(f.mode).toBe(statSync(path).mode & 0o7777);
    }
    expect(manifest.files.find((f) => f.path === 'usr/local/bin/rbee-hello-worker')!.mode).toBe(
      0o755,
    );
    expect(manifest.files.find((f) => f.path === 'etc/rbee/hello-worker.conf')!.backup).toBe(true);
    const caps = JSON.parse(readFileSync(join(state, 'capabilities.json'), 'utf8'));
    expect(caps.platform).toEqual({ os: 'linux', arch: 'x86_64', accelerators: [] });
    expect(caps.installed).toEqual([
      {
        id: 'rbee-hello-worker',
        version: '1.0.0-1',
        files: 3,
        binary: join(root, 'usr/local/bin/rbee-hello-worker'),
        installed_at: manifest.installed_at,
      },
    ]);
    expect(run.reports).toEqual([caps]);
    expect(existsSync(run.workspace)).toBe(false);
  });

  test('an upgrade replaces files, removes the ones no longer shipped, keeps a changed backup file and writes .pacnew', async () => {
    const state = stateDir();
    const root = tempDir('root');
    const worker = 'rbee-hello-worker';
    expect((await runJob(v1.url, state, root, { kind: 'install', worker })).result.outcome).toBe(
      'succeeded',
    );
    writeFileSync(join(root, 'etc/rbee/hello-worker.conf'), 'greeting="mine"\n');
    const up = await runJob(v2.url, state, root, { kind: 'install', worker });
    expect(up.result, up.lines.join('\n')).toEqual({ outcome: 'succeeded' });
    expect(up.lines).toContain(
      'removed /usr/local/share/man/man1/rbee-hello-worker.1.gz (no longer shipped)',
    );
    expect(up.lines).toContain(
      'warning: /etc/rbee/hello-worker.conf was changed: the new one is /etc/rbee/hello-worker.conf.pacnew',
    );
    expect(filesUnder(root)).toEqual([
      'etc/rbee/hello-worker.conf',
      'etc/rbee/hello-worker.conf.pacnew',
      'usr/local/bin/rbee-hello-worker',
    ]);
    expect(existsSync(join(root, 'usr/local/share'))).toBe(false);
    expect(readFileSync(join(root, 'etc/rbee/hello-worker.conf'), 'utf8')).toBe(
      'greeting="mine"\n',
    );
    expect(readFileSync(join(root, 'etc/rbee/hello-worker.conf.pacnew'), 'utf8')).toBe(
      'greeting="Hello v2"\n',
    );
    expect(readFileSync(join(root, 'usr/local/bin/rbee-hello-worker'), 'utf8')).toContain(
      'version="1.1.0"',
    );
    const manifest = (await readManifest(state, worker))!;
    expect(manifest.version).toBe('1.1.0-1');
    expect(manifest.files.map((f) => f.path)).toEqual([
      'etc/rbee/hello-worker.conf',
      'usr/local/bin/rbee-hello-worker',
    ]);
  });

  test('an unchanged backup file is simply replaced on upgrade (no .pacnew)', async () => {
    const state = stateDir();
    const root = tempDir('root');
    const worker = 'rbee-hello-worker';
    await runJob(v1.url, state, root, { kind: 'install', worker });
    expect((await runJob(v2.url, state, root, { kind: 'install', worker })).result.outcome).toBe(
      'succeeded',
    );
    expect(readFileSync(join(root, 'etc/rbee/hello-worker.conf'), 'utf8')).toBe(
      'greeting="Hello v2"\n',
    );
    expect(existsSync(join(root, 'etc/rbee/hello-worker.conf.pacnew'))).toBe(false);
  });

  test('an uninstall leaves only the backup file the user changed', async () => {
    const state = stateDir();
    const root = tempDir('root');
    const worker = 'rbee-hello-worker';
    await runJob(v1.url, state, root, { kind: 'install', worker });
    writeFileSync(join(root, 'etc/rbee/hello-worker.conf'), 'greeting="mine"\n');
    const run = await runJob(v1.url, state, root, { kind: 'uninstall', worker });
    expect(run.result).toEqual({ outcome: 'succeeded' });
    expect(run.started).toEqual(['uninstall', 'capabilities', 'cleanup']);
    expect(run.lines).toContain('kept /etc/rbee/hello-worker.conf (a backup file you changed)');
    expect(filesUnder(root)).toEqual(['etc/rbee/hello-worker.conf']);
    expect(existsSync(join(root, 'usr'))).toBe(false);
    expect(await readManifest(state, worker)).toBeNull();
    expect(JSON.parse(readFileSync(join(state, 'capabilities.json'), 'utf8')).installed).toEqual(
      [],
    );
    expect(run.reports[0]!.installed).toEqual([]);
  });

  test('uninstalling a worker that is not installed fails at the uninstall step, saying so', async () => {
    const run = await runJob(v1.url, stateDir(), tempDir('root'), {
      kind: 'uninstall',
      worker: 'rbee-hello-worker',
    });
    expect(run.result.outcome).toBe('failed');
    expect(run.result.error).toMatchObject({
      step: 'uninstall',
      message: 'rbee-hello-worker is not installed on this hive',
    });
  });

  test('two jobs installing one worker at the same time take turns: the manifest matches the disk after both', async () => {
    const state = stateDir();
    const root = tempDir('root');
    const worker = 'rbee-hello-worker';
    const [a, b] = await Promise.all([
      runJob(v1.url, state, root, { kind: 'install', worker }),
      runJob(v2.url, state, root, { kind: 'install', worker }),
    ]);
    expect([a.result, b.result]).toEqual([{ outcome: 'succeeded' }, { outcome: 'succeeded' }]);
    const manifest = (await readManifest(state, worker))!;
    expect(filesUnder(root)).toEqual(manifest.files.map((f) => f.path));
    for (const f of manifest.files) expect(sha(join(root, f.path))).toBe(f.sha256);
  });
});
