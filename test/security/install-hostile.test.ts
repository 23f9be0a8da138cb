import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunBuildFn } from '../../agent/install/install-pipeline.ts';
import { readManifest } from '../../agent/install/manifest.ts';
import { catalogServer, stateDir, writeHelloVariant } from '../agent/install/catalog-server.ts';
import { runJob } from '../agent/install/run-job.ts';
import { tempDir } from '../support/edge-process.ts';

/**
 * The package tree is hostile input to install. Each test is one real attack, run as root
 * through the install pipeline (catalog, PKGBUILD, workspace, install, capabilities) with the
 * build replaced by one that leaves the attacker's package tree, as a build's package() would
 * (owned by the build user). Each asserts the refusal names its rule, that no sentinel
 * changed (root-owned files in temp folders, one beside the install root), and that the next
 * ordinary install into the same root works.
 */
const worker = 'rbee-hello-worker';
const BUILD_USER = 65534;
const BIN = 'usr/local/bin/rbee-hello-worker';

type Sentinels = ReturnType<typeof sentinels>;
type Tree = (pkg: (name: string) => string, workspace: string, s: Sentinels) => void;

/** A build that makes the given package trees in the workspace, owned by the build user. */
function fakeBuild(make: Tree, s: Sentinels, pkgnames = [worker]): RunBuildFn {
  return async (dir) => {
    const pkg = (name: string) => {
      const p = join(dir, 'pkg', name);
      mkdirSync(p, { recursive: true });
      return p;
    };
    for (const name of pkgnames) pkg(name);
    make(pkg, dir, s);
    execFileSync('chown', ['-hR', `${BUILD_USER}:${BUILD_USER}`, join(dir, 'pkg')]);
    // chown clears setuid bits: set the modes again, as package() running as the build user would.
    for (const [path, mode] of modes.splice(0)) chmodSync(path, mode);
    return {
      startdir: dir,
      srcdir: join(dir, 'src'),
      pkgbase: worker,
      pkgnames,
      pkgver: '1.0.0',
      pkgrel: '1',
      epoch: '',
      pkgdirs: pkgnames.map((n) => join(dir, 'pkg', n)),
      durationMs: 1,
    };
  };
}

/** What an ordinary package ships: the program. */
const ordinary: Tree = (pkg) => put(pkg(worker), BIN, '#!/bin/sh\necho hello\n', 0o755);

const modes: [string, number][] = [];

function put(base: string, rel: string, text: string, mode = 0o644) {
  mkdirSync(dirname(join(base, rel)), { recursive: true });
  writeFileSync(join(base, rel), text);
  chmodSync(join(base, rel), mode);
  modes.push([join(base, rel), mode]);
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Root-owned files outside the workspace an attack aims at: one folder of them, one beside the root. */
function sentinels() {
  const base = tempDir('hostile');
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  const files = [join(base, 'beside-root.conf'), join(outside, 'shadow'), join(outside, 'passwd')];
  for (const f of files) writeFileSync(f, `sentinel ${f}\n`, { mode: 0o600 });
  const snapshot = () => ({
    sums: files.map((f) => [f, sha(f), statSync(f).mode]),
    outside: readdirSync(outside).sort(),
    base: readdirSync(base).sort(),
  });
  return { base, root, outside, files, before: snapshot(), snapshot };
}

describe('install refuses a hostile package tree (as root, through the install pipeline)', () => {
  let catalog: Awaited<ReturnType<typeof catalogServer>>;
  let allowing: Awaited<ReturnType<typeof catalogServer>>;
  beforeAll(async () => {
    catalog = await catalogServer((dir) => writeHelloVariant(dir));
    allowing = await catalogServer((dir) => {
      writeHelloVariant(dir);
      const path = join(dir, worker, 'worker.json');
      const entry = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify({ ...entry, install: { allow_setuid: [`/${BIN}`] } }));
    });
  });
  afterAll(async () => {
    await catalog.close();
    await allowing.close();
  });

  /** Runs the attack, then checks the sentinels and that an ordinary install still works. */
  async function attack(make: Tree, pkgnames?: string[], url = () => catalog.url) {
    const s = sentinels();
    const state = stateDir();
    const run = await runJob(
      url(),
      state,
      s.root,
      { kind: 'install', worker },
      {
        runBuild: fakeBuild(make, s, pkgnames),
      },
    );
    expect(s.snapshot()).toEqual(s.before);
    return { ...run, ...s, state };
  }

  async function nextInstallWorks(state: string, root: string) {
    const run = await runJob(
      catalog.url,
      state,
      root,
      { kind: 'install', worker },
      { runBuild: fakeBuild(ordinary, sentinels()) },
    );
    expect(run.result).toEqual({ outcome: 'succeeded' });
    const manifest = await readManifest(state, worker);
    expect(manifest!.files.map((f) => f.path)).toEqual([BIN]);
    expect(readFileSync(join(root, BIN), 'utf8')).toBe('#!/bin/sh\necho hello\n');
    expect(readdirSync(root).filter((n) => n.startsWith('.rbee-staging-'))).toEqual([]);
  }

  function refused(run: Awaited<ReturnType<typeof attack>>, message: string) {
    expect(run.result.outcome).toBe('failed');
    expect(run.result.error).toMatchObject({ step: 'install', message });
    // Nothing of the package reached the root, not even a staging folder.
    expect(readdirSync(run.root)).toEqual([]);
  }

  test('split packages: A ships usr/local/evil -> a folder outside, B ships usr/local/evil/sub/file', async () => {
    const run = await attack(
      (pkg, _ws, s) => {
        const a = pkg('rbee-hello-worker');
        mkdirSync(join(a, 'usr/local'), { recursive: true });
        symlinkSync(s.outside, join(a, 'usr/local/evil'));
        put(pkg('rbee-hello-worker-b'), 'usr/local/evil/sub/file', 'written by root?\n');
      },
      ['rbee-hello-worker', 'rbee-hello-worker-b'],
    );
    refused(
      run,
      'Refusing /usr/local/evil (rule parent-symlink): another package ships it as a symlink, this one puts files under it',
    );
    await nextInstallWorks(run.state, run.root);
  }, 60_000);

  test('split packages in the other order: the folder first, then the symlink over it', async () => {
    const run = await attack(
      (pkg, _ws, s) => {
        put(pkg('rbee-hello-worker'), 'usr/local/evil/sub/file', 'written by root?\n');
        const b = pkg('rbee-hello-worker-b');
        mkdirSync(join(b, 'usr/local'), { recursive: true });
        symlinkSync(s.outside, join(b, 'usr/local/evil'));
      },
      ['rbee-hello-worker', 'rbee-hello-worker-b'],
    );
    refused(
      run,
      'Refusing /usr/local/evil (rule parent-symlink): another package ships files under it, so it must be a folder',
    );
    expect(readdirSync(run.outside).sort()).toEqual(['passwd', 'shadow']);
  }, 60_000);

  test('a symlink whose target climbs out of the install root', async () => {
    const run = await attack((pkg) => {
      const a = pkg(worker);
      put(a, BIN, 'x\n', 0o755);
      mkdirSync(join(a, 'usr/lib'), { recursive: true });
      symlinkSync('../../../outside/shadow', join(a, 'usr/lib/shadow'));
    });
    refused(
      run,
      `Refusing /usr/lib/shadow (rule symlink-escape): its target ../../../outside/shadow climbs above the install root ${run.root}`,
    );
    await nextInstallWorks(run.state, run.root);
  }, 60_000);

  test('an absolute symlink to a file outside the root, and one chained through another link', async () => {
    const run = await attack((pkg) => {
      const a = pkg(worker);
      mkdirSync(join(a, 'usr/lib'), { recursive: true });
      // `deep` (usr/lib/../.. = the root) stays inside; `up` is lexically usr/lib, but the
      // kernel resolves `deep` first and then climbs above the root.
      symlinkSync('../..', join(a, 'usr/lib/deep'));
      symlinkSync('deep/..', join(a, 'usr/lib/up'));
    });
    refused(
      run,
      `Refusing /usr/lib/up (rule symlink-escape): its target deep/.. climbs above the install root ${run.root}`,
    );
    const abs = await attack((pkg, _ws, s) => {
      const a = pkg(worker);
      mkdirSync(join(a, 'etc'), { recursive: true });
      symlinkSync(join(s.outside, 'shadow'), join(a, 'etc/shadow'));
    });
    refused(
      abs,
      `Refusing /etc/shadow (rule symlink-escape): its target ${join(abs.outside, 'shadow')} is outside the install root ${abs.root}`,
    );
    await nextInstallWorks(abs.state, abs.root);
  }, 60_000);

  test('a setuid-root binary loses its setuid bit, unless the catalog entry allows the exact path', async () => {
    const run = await attack((pkg) => put(pkg(worker), BIN, '#!/bin/sh\nid\n', 0o4755));
    expect(run.result).toEqual({ outcome: 'succeeded' });
    expect(statSync(join(run.root, BIN)).mode & 0o7777).toBe(0o755);
    expect(run.lines).toContain(
      `cleared setuid on /${BIN} (not in the catalog's install.allow_setuid)`,
    );
    expect((await readManifest(run.state, worker))!.files[0]!.mode).toBe(0o755);
    // setgid and world-writable on another file go too.
    const g = await attack((pkg) => {
      put(pkg(worker), BIN, 'x\n', 0o755);
      put(pkg(worker), 'usr/local/bin/helper', 'y\n', 0o2777);
    });
    expect(statSync(join(g.root, 'usr/local/bin/helper')).mode & 0o7777).toBe(0o775);
    // Allowed by the entry's install.allow_setuid: the bit stays.
    const allowed = await attack(
      (pkg) => put(pkg(worker), BIN, '#!/bin/sh\nid\n', 0o4755),
      undefined,
      () => allowing.url,
    );
    expect(allowed.result).toEqual({ outcome: 'succeeded' });
    expect(statSync(join(allowed.root, BIN)).mode & 0o7777).toBe(0o4755);
    await nextInstallWorks(run.state, run.root);
    expect(statSync(join(run.root, BIN)).mode & 0o7777).toBe(0o755);
  }, 60_000);

  test('a .rbee-failed symlink the build planted is not followed when root marks the workspace', async () => {
    const run = await attack(
      // The build plants the link where root writes its failure mark, then fails.
      (_pkg, workspace, s) => {
        symlinkSync(join(s.outside, 'shadow'), join(workspace, '.rbee-failed'));
        lchownSync(join(workspace, '.rbee-failed'), BUILD_USER, BUILD_USER);
        throw new Error('build() failed on purpose');
      },
    );
    expect(run.result.outcome).toBe('failed');
    const target = join(run.outside, 'shadow');
    expect(readFileSync(target, 'utf8')).toBe(`sentinel ${target}\n`);
    expect(lstatSync(join(run.workspace, '.rbee-failed')).isSymbolicLink()).toBe(true);
    const cleanup = run.steps.findLast((st) => st.step === 'cleanup' && st.phase === 'end')!;
    expect(cleanup.note).toContain(
      `(not marked: Refusing to write ${join(run.workspace, '.rbee-failed')} (rule no-follow)`,
    );
    await nextInstallWorks(run.state, run.root);
  }, 60_000);

  test('a FIFO in the package is refused by the walk, and the install never blocks on it', async () => {
    const run = await attack((pkg) => {
      put(pkg(worker), BIN, 'x\n', 0o755);
      execFileSync('mkfifo', [join(pkg(worker), 'usr/local/bin/pipe')]);
    });
    refused(
      run,
      'Refusing /usr/local/bin/pipe (rule special-file): it is a FIFO, and install places only files, folders and symlinks',
    );
    await nextInstallWorks(run.state, run.root);
  }, 60_000);

  test('a device node (a copy of /dev/mem) is refused', async () => {
    const run = await attack((pkg) => {
      mkdirSync(join(pkg(worker), 'dev'), { recursive: true });
      execFileSync('mknod', [join(pkg(worker), 'dev/mem'), 'c', '1', '1']);
    });
    refused(
      run,
      'Refusing /dev/mem (rule special-file): it is a character device, and install places only files, folders and symlinks',
    );
    await nextInstallWorks(run.state, run.root);
  }, 60_000);

  test('a hard link (to a file the build keeps in its workspace) is refused', async () => {
    const run = await attack((pkg, workspace) => {
      put(workspace, 'src/payload', 'changed later by the build\n');
      mkdirSync(join(pkg(worker), 'etc'), { recursive: true });
      linkSync(join(workspace, 'src/payload'), join(pkg(worker), 'etc/rbee.conf'));
    });
    refused(
      run,
      'Refusing /etc/rbee.conf (rule hard-link): it has 2 links: a hard link could tie an installed file to one the build still controls',
    );
    await nextInstallWorks(run.state, run.root);
  }, 60_000);

  test('a symlink planted in the install root under the package path is refused, not written through', async () => {
    const s = sentinels();
    mkdirSync(join(s.root, 'usr/local'), { recursive: true });
    symlinkSync(s.outside, join(s.root, 'usr/local/bin'));
    const state = stateDir();
    const run = await runJob(
      catalog.url,
      state,
      s.root,
      { kind: 'install', worker },
      { runBuild: fakeBuild(ordinary, s) },
    );
    expect(run.result.error).toMatchObject({
      step: 'install',
      message:
        'Refusing /usr/local/bin (rule parent-symlink): it is a symlink in the install root, and install never writes through one',
    });
    expect(s.snapshot()).toEqual(s.before);
    expect(existsSync(join(s.outside, 'rbee-hello-worker'))).toBe(false);
  }, 60_000);
});
