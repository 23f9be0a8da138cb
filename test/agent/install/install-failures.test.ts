import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readManifest } from '../../../agent/install/manifest.ts';
import { tempDir } from '../../support/edge-process.ts';
import { catalogServer, stateDir, writeHelloVariant } from './catalog-server.ts';
import { runJob } from './run-job.ts';

const worker = 'rbee-hello-worker';

/** Every file under the root with its SHA-256: a snapshot to compare after a failed job. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else
        out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(root);
  return out;
}

describe('install pipeline: a failure at any step leaves the previous install intact', () => {
  let v1: Awaited<ReturnType<typeof catalogServer>>;
  beforeAll(async () => {
    v1 = await catalogServer((dir) => writeHelloVariant(dir));
  });
  afterAll(() => v1.close());

  /** Installs 1.0.0, runs `next` as an upgrade, and checks that nothing of 1.0.0 moved. */
  async function upgradeFails(
    next: Parameters<typeof writeHelloVariant>[1],
    prepare?: (root: string) => void,
    options = {},
  ) {
    const state = stateDir();
    const root = tempDir('root');
    expect((await runJob(v1.url, state, root, { kind: 'install', worker })).result.outcome).toBe(
      'succeeded',
    );
    prepare?.(root);
    const before = snapshot(root);
    const manifest = await readManifest(state, worker);
    const caps = readFileSync(join(state, 'capabilities.json'), 'utf8');
    const server = await catalogServer((dir) => writeHelloVariant(dir, next));
    try {
      const run = await runJob(server.url, state, root, { kind: 'install', worker }, options);
      expect(run.result.outcome).toBe('failed');
      expect(snapshot(root)).toEqual(before);
      expect(await readManifest(state, worker)).toEqual(manifest);
      expect(readFileSync(join(state, 'capabilities.json'), 'utf8')).toBe(caps);
      return { ...run, root, state };
    } finally {
      await server.close();
    }
  }

  test('build() fails: the job says build, exit 1 and the last lines; the workspace is kept and marked', async () => {
    const run = await upgradeFails({ version: '1.1.0', buildFails: true });
    expect(run.result.error).toMatchObject({ step: 'build', function: 'build', exit_code: 1 });
    expect(run.result.error!.last_lines).toContain('about to fail');
    expect(run.started).not.toContain('install');
    expect(existsSync(join(run.workspace, 'PKGBUILD'))).toBe(true);
    expect(existsSync(join(run.workspace, '.rbee-failed'))).toBe(true);
    expect(run.steps.at(-1)).toMatchObject({ step: 'cleanup', phase: 'end', ok: true });
    expect(run.steps.at(-1)!.note).toContain(`workspace kept for 1440 min: ${run.workspace}`);
  });

  test('a file where a folder must go is refused by the tree check, before anything is staged or moved', async () => {
    // 1.1.0 also ships usr/local/lib/rbee/extra.conf; a plain file at usr/local/lib is in its way.
    const run = await upgradeFails(
      { version: '1.1.0', extraFile: 'usr/local/lib/rbee/extra.conf', conf: 'greeting="v2"\n' },
      (root) => writeFileSync(join(root, 'usr/local/lib'), 'not a folder\n'),
    );
    expect(run.result.error).toMatchObject({
      step: 'install',
      message:
        'Refusing /usr/local/lib (rule path-conflict): a file is in the way in the install root',
    });
    expect(readdirSync(run.root).filter((n) => n.startsWith('.rbee-staging-'))).toEqual([]);
  });

  test('a file of another owner in the way refuses the install before anything moves', async () => {
    const run = await upgradeFails(
      { version: '1.1.0', extraFile: 'usr/local/lib/rbee/extra.conf' },
      (root) => {
        mkdirSync(join(root, 'usr/local/lib/rbee'), { recursive: true });
        writeFileSync(join(root, 'usr/local/lib/rbee/extra.conf'), 'someone else\n');
      },
    );
    expect(run.result.error).toMatchObject({
      step: 'install',
      message:
        'Cannot install /usr/local/lib/rbee/extra.conf: it exists in the install root and no version of rbee-hello-worker installed it',
    });
  });

  test('the dependency refusal names what is missing and stops before the workspace', async () => {
    const run = await upgradeFails({
      version: '1.1.0',
      depends: ['bash', 'rbee-no-such-dependency>=2'],
    });
    expect(run.result.error).toEqual({
      step: 'dependencies',
      message:
        "Missing dependencies of rbee-hello-worker: rbee-no-such-dependency>=2 (not a command on PATH, a library ldconfig knows, or a package of the host's package manager)",
    });
    expect(run.lines).toEqual(['bash: command', 'rbee-no-such-dependency>=2: MISSING']);
    expect(run.started).toEqual([
      'catalog',
      'platform',
      'fetch',
      'verify',
      'parse',
      'dependencies',
    ]);
  });

  test('the dependency policy skip builds anyway (the missing dependency is not looked for)', async () => {
    const server = await catalogServer((dir) =>
      writeHelloVariant(dir, { depends: ['bash', 'rbee-no-such-dependency'] }),
    );
    try {
      const run = await runJob(
        server.url,
        stateDir(),
        tempDir('root'),
        { kind: 'install', worker },
        { deps: 'skip' },
      );
      expect(run.result).toEqual({ outcome: 'succeeded' });
      expect(run.steps.find((s) => s.step === 'dependencies' && s.phase === 'end')).toMatchObject({
        ok: true,
        note: 'not checked (policy: skip): bash rbee-no-such-dependency',
      });
    } finally {
      await server.close();
    }
  });
});

describe('install pipeline: the rbee workers on a hive without CUDA or network', () => {
  let seed: Awaited<ReturnType<typeof catalogServer>>;
  beforeAll(async () => {
    seed = await catalogServer(() => {});
  });
  afterAll(() => seed.close());

  test('the cuda worker is refused at the platform step with the reason', async () => {
    const run = await runJob(seed.url, stateDir(), tempDir('root'), {
      kind: 'install',
      worker: 'llm-worker-rbee-cuda',
    });
    expect(run.result).toEqual({
      outcome: 'failed',
      error: {
        step: 'platform',
        message:
          'This hive cannot run llm-worker-rbee-cuda: llm-worker-rbee-cuda needs CUDA: no NVIDIA GPU with a driver on this hive (nvidia-smi found none)',
      },
    });
    expect(run.started).toEqual(['catalog', 'platform']);
  });

  test('the metal worker on linux is refused for os, arch and Metal at once', async () => {
    const run = await runJob(seed.url, stateDir(), tempDir('root'), {
      kind: 'install',
      worker: 'llm-worker-rbee-metal',
    });
    expect(run.result.error).toEqual({
      step: 'platform',
      message:
        'This hive cannot run llm-worker-rbee-metal: llm-worker-rbee-metal runs on macos, not linux; llm-worker-rbee-metal is built for aarch64, not x86_64; llm-worker-rbee-metal needs Metal: macOS on Apple silicon, and this hive is linux/x86_64',
    });
  });

  // The machine has no network: with the dependency check skipped (rust and cargo are not here
  // either), the cpu worker gets as far as its git source and fails there with git's own error.
  test('the cpu worker fails at the sources step and git says why in the log', async () => {
    const run = await runJob(
      seed.url,
      stateDir(),
      tempDir('root'),
      { kind: 'install', worker: 'llm-worker-rbee-cpu' },
      { deps: 'skip' },
    );
    expect(run.result.outcome).toBe('failed');
    expect(run.result.error!.step).toBe('sources');
    expect(run.failed!.step).toBe('sources');
    const log = [...run.lines, ...run.result.error!.last_lines!].join('\n');
    expect(log).toMatch(
      /fatal: unable to access 'https:\/\/github\.com\/veighnsche\/llama-orch\.git\/'/,
    );
  });
});
