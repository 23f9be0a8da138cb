/**
 * The executor against makepkg, fixture by fixture. Each build is held to makepkg's stored result
 * (test/fixtures/build-expected/, written only by `npm run oracle:record`, which runs the real
 * makepkg); in each run a rotating sample also runs a live makepkg beside the executor, which
 * must leave exactly the stored result. RBEE_ORACLE=live (`npm run test:oracle`) runs all live.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BuildError,
  type BuildOptions,
  runBuild,
  type StepEvent,
} from '../../../agent/executor/index.ts';
import { describeSample, oracleSample } from '../../support/oracle-sample.ts';
import {
  type BothRuns,
  buildBoth,
  copyFixture,
  FIXTURES,
  limiter,
  storedReference,
} from './build-both.ts';
import { type FixtureWorld, startFixtureWorld } from './fixture-env.ts';
import { bgToken, processesWithEnv } from './process-scan.ts';
import { exists, snapshotTree } from './tree-snapshot.ts';

let world: FixtureWorld;
const slot = limiter(2);
const live = new Set(
  oracleSample([readdirSync(FIXTURES).sort()], Number(process.env.RBEE_ORACLE_SAMPLE ?? 2)),
);
describeSample('build parity', [...live]);

beforeAll(async () => {
  world = await startFixtureWorld();
});

afterAll(async () => {
  await world?.close();
  if (world) rmSync(world.base, { recursive: true, force: true });
});

async function build(name: string, options: BuildOptions = {}): Promise<BothRuns> {
  const runs = await slot(() => buildBoth(world, name, { ...options, live: live.has(name) }));
  // A live makepkg must leave exactly what is stored: `npm run oracle:record` rewrites it.
  if (runs.live) expect(runs.reference, runs.makepkgOutput).toEqual(storedReference(name));
  return runs;
}

/** Builds a fixture; makepkg and the executor must both succeed and leave the same pkg/ tree. */
async function expectSameSuccess(name: string, options: BuildOptions = {}): Promise<BothRuns> {
  const runs = await build(name, options);
  expect(runs.reference.exitCode, runs.makepkgOutput).toBe(0);
  expect(runs.error).toBeUndefined();
  expect(tree(runs)).toEqual(runs.reference.pkg);
  return runs;
}

/** Builds a fixture; makepkg and the executor must both fail and leave the same pkg/ (or none). */
async function expectSameFailure(name: string): Promise<{ runs: BothRuns; error: BuildError }> {
  const runs = await build(name);
  expect(runs.reference.exitCode, runs.makepkgOutput).not.toBe(0);
  expect(runs.error).toBeInstanceOf(BuildError);
  const rbeePkg = join(runs.rbeeDir, 'pkg');
  expect(exists(rbeePkg)).toBe(runs.reference.pkg !== null);
  if (runs.reference.pkg !== null) expect(snapshotTree(rbeePkg)).toEqual(runs.reference.pkg);
  return { runs, error: runs.error as BuildError };
}

const read = (runs: BothRuns, path: string) =>
  readFileSync(join(runs.rbeeDir, 'pkg', path), 'utf8');
const tree = (runs: BothRuns) => snapshotTree(join(runs.rbeeDir, 'pkg'));
const steps = (runs: BothRuns) => runs.events.filter((e): e is StepEvent => e.type === 'step');

// Tests queue for one of two build slots: the limit covers the wait for every build before it
// (28 fixtures, two at a time, up to 30 s each on a loaded machine), not one build.
describe.concurrent('the executor leaves the same pkg/ tree as makepkg --noarchive --nodeps', {
  timeout: 600_000,
}, () => {
  test('basic: local sources, build, check, man page, symlink, directory modes', async () => {
    const runs = await expectSameSuccess('basic');
    const t = tree(runs);
    expect(t['rbee-basic/usr/share/man/man1/rbee-basic.1.gz']?.gzipNoName).toBe(true);
    expect(t['rbee-basic/var/lib/rbee-basic']?.mode).toBe('750');
    expect(t['rbee-basic/usr/bin/rbee-basic-link']?.target).toBe('rbee-basic');
    expect(runs.result?.pkgdirs).toEqual([join(runs.rbeeDir, 'pkg', 'rbee-basic')]);
    const names = steps(runs).map((s) => `${s.step}:${s.phase}`);
    expect(names).toEqual([
      'metadata:start',
      'metadata:end',
      'sources:start',
      'sources:end',
      'checksums:start',
      'checksums:end',
      'extract:start',
      'extract:end',
      'build:start',
      'build:end',
      'check:start',
      'check:end',
      'package:start',
      'package:end',
      'tidy:start',
      'tidy:end',
    ]);
  });

  test('split packages run each package_<name> with its own option overrides', async () => {
    const runs = await expectSameSuccess('split-packages');
    expect(runs.result?.pkgnames).toEqual(['rbee-split-bin', 'rbee-split-doc']);
    expect(runs.result?.pkgbase).toBe('rbee-split');
    expect(read(runs, 'rbee-split-bin/usr/bin/which-package')).toBe('rbee-split-bin\n');
    const t = tree(runs);
    expect(t['rbee-split-bin/usr/share/info/dir.gz']).toBeDefined();
    expect(t['rbee-split-doc/usr/share/info/dir']).toBeUndefined();
    expect(t['rbee-split-doc/usr/share/man/man7/rbee-split.7']?.type).toBe('file');
    const tidy = steps(runs).filter((s) => s.step === 'tidy' && s.phase === 'end');
    expect(tidy.map((s) => [s.pkgname, s.operations])).toEqual([
      ['rbee-split-bin', ['strip', 'zipman']],
      ['rbee-split-doc', ['purge', 'strip']],
    ]);
  });

  test('archives are unpacked with bsdtar, noextract is only linked', async () => {
    const runs = await expectSameSuccess('archives');
    const t = tree(runs);
    expect(t['rbee-archives/opt/rbee-archives/project-1.0/run.sh']?.mode).toBe('755');
    expect(t['rbee-archives/opt/rbee-archives/project-1.0/run-link']?.target).toBe('run.sh');
    expect(t['rbee-archives/opt/rbee-archives/assets/icon.txt']?.type).toBe('file');
    expect(read(runs, 'rbee-archives/opt/rbee-archives/keep-was-link')).toBe('linked\n');
  });

  test('single gzip, bzip2, xz and zstd files are decompressed beside their link', async () => {
    const runs = await expectSameSuccess('compressed-singles');
    expect(read(runs, 'rbee-compressed/usr/share/rbee-compressed/notes4.txt')).toBe(
      'zstd payload\n',
    );
    const t = tree(runs);
    expect(t['rbee-compressed/usr/share/rbee-compressed/kept-was-extracted']).toBeUndefined();
    expect(t['rbee-compressed/usr/share/rbee-compressed/blob-was-extracted']).toBeUndefined();
  });

  test('http sources with name:: renames, queries and redirects land in startdir', async () => {
    const runs = await expectSameSuccess('http-renames');
    expect(read(runs, 'rbee-http/usr/share/rbee-http/renamed.txt')).toContain(
      'saved as renamed.txt',
    );
    expect(read(runs, 'rbee-http/usr/share/rbee-http/query.txt')).toBe('answered a query\n');
    expect(read(runs, 'rbee-http/usr/share/rbee-http/startdir-listing')).not.toContain('.part');
  });

  test('every checksum kind, SKIP and per-arch arrays verify', async () => {
    const runs = await expectSameSuccess('checksums-all');
    const end = steps(runs).find((s) => s.step === 'checksums' && s.phase === 'end');
    const results = end?.checksums ?? [];
    expect(new Set(results.map((r) => r.algorithm))).toEqual(
      new Set(['ck', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'b2']),
    );
    expect(results).toHaveLength(2 + 7 * 3);
    expect(results.filter((r) => r.result === 'Skipped')).toHaveLength(7);
    expect(results.every((r) => r.result === 'Passed' || r.result === 'Skipped')).toBe(true);
  });

  test('a failing build() stops the build with its exit code', async () => {
    const { error } = await expectSameFailure('failing-build');
    expect(error.message.startsWith('build() failed with exit code 2')).toBe(true);
    expect(error.step).toBe('build');
    expect(error.function).toBe('build');
    expect(error.exitCode).toBe(2);
    expect(error.timedOut).toBe(false);
    expect(error.canceled).toBe(false);
    expect(error.lastLines).toEqual(['compiling...', 'error: something broke']);
  });

  test('a checksum mismatch stops everything before prepare()', async () => {
    const { runs, error } = await expectSameFailure('checksum-mismatch');
    expect(error.step).toBe('checksums');
    expect(error.message).toMatch(/^One or more files did not pass the validity check!/);
    expect(runs.reference.startdir).not.toContain('prepare-ran');
    expect(exists(join(runs.rbeeDir, 'prepare-ran'))).toBe(false);
    expect(steps(runs).some((s) => s.step === 'prepare')).toBe(false);
  });

  test('a checksum array longer than the source array is an error', async () => {
    const { error } = await expectSameFailure('checksum-count');
    expect(error.step).toBe('checksums');
    expect(error.message).toMatch(
      /^Integrity checks \(sha256\) differ in size from the source array\./,
    );
  });

  test('a source array without any checksum array is an error', async () => {
    const { error } = await expectSameFailure('checksum-missing');
    expect(error.step).toBe('checksums');
    expect(error.message).toMatch(/^Integrity checks are missing for: source/);
  });

  test('pkgver() sets the version the rest of the build and the result see', async () => {
    const runs = await expectSameSuccess('pkgver-function');
    expect(runs.result?.pkgver).toBe('2.5.r42');
    expect(runs.result?.pkgrel).toBe('1');
    expect(read(runs, 'rbee-pkgver/usr/share/rbee-pkgver-2.5.r42/version')).toBe(
      '2.5.r42\n1\nrbee-pkgver-2.5.r42\n',
    );
  });

  test('errexit spares ||, if, pipelines, !, while and && lists; no nounset', async () => {
    const runs = await expectSameSuccess('errexit-semantics');
    expect(read(runs, 'rbee-errexit/usr/share/rbee-errexit/log').split('\n')).toContain(
      "unset is empty: ''",
    );
  });

  test('a plain failing command in package() stops there, naming package()', async () => {
    const { error, runs } = await expectSameFailure('package-fails');
    expect(error.message.startsWith('package() failed with exit code 1')).toBe(true);
    expect(error.step).toBe('package');
    expect(error.function).toBe('package');
    expect(tree(runs)['rbee-package-fails/usr/share/rbee/before']).toBeDefined();
    expect(tree(runs)['rbee-package-fails/usr/share/rbee/after']).toBeUndefined();
  });

  test("lint_package's errors fail the build after tidy", async () => {
    const { error } = await expectSameFailure('lint-dotfile');
    expect(error.step).toBe('tidy');
    expect(error.message).toMatch(
      /^Dotfile found in package root '.*\/pkg\/rbee-lint-dotfile\/\.hidden'/,
    );
  });

  test('man and info pages are gzipped with -n, links follow', async () => {
    const runs = await expectSameSuccess('man-pages');
    const t = tree(runs);
    const man = 'rbee-man/usr/share/man';
    expect(t[`${man}/man1/tool-alias.1.gz`]?.target).toBe('tool.1.gz');
    expect(t[`${man}/man8/admin-hard.8.gz`]?.hardlinks).toEqual([`${man}/man8/admin.8.gz`]);
    expect(t['rbee-man/usr/share/info/rbee.info.gz']?.gzipNoName).toBe(true);
    expect(t['rbee-man/usr/local/man/man5/rbee.conf.5.gz']).toBeDefined();
  });

  test('empty directories are kept with Debian OPTIONS', async () => {
    const runs = await expectSameSuccess('empty-dirs-kept');
    expect(tree(runs)['rbee-emptydirs-kept/var/lib/rbee/empty']?.type).toBe('dir');
  });

  test('options=(!emptydirs) removes empty directories', async () => {
    const runs = await expectSameSuccess('empty-dirs-removed');
    expect(tree(runs)['rbee-emptydirs-removed/var/lib/rbee']).toBeUndefined();
    expect(tree(runs)['rbee-emptydirs-removed/usr/share/rbee/file']).toBeDefined();
  });

  test('PURGE_TARGETS are removed', async () => {
    const runs = await expectSameSuccess('purge-targets');
    const t = tree(runs);
    expect(t['rbee-purge/usr/share/info/dir']).toBeUndefined();
    expect(t['rbee-purge/usr/lib/perl5/Rbee.pod']).toBeUndefined();
    expect(t['rbee-purge/usr/share/rbee/dir.pod']?.type).toBe('dir');
    expect(t['rbee-purge/usr/share/rbee/keep.txt']).toBeDefined();
  });

  test('ELF executables and libraries are stripped as makepkg strips them', async () => {
    const runs = await expectSameSuccess('strip-c');
    const t = tree(runs);
    expect(t['rbee-strip/usr/bin/rbee-hello']?.elf).toEqual({ symtab: false, debug: false });
    expect(t['rbee-strip/usr/bin/rbee-hello-nopie']?.elf).toEqual({ symtab: false, debug: false });
    expect(t['rbee-strip/usr/lib/librbeeanswer.so.1']?.elf).toEqual({
      symtab: false,
      debug: false,
    });
    expect(t['rbee-strip/usr/lib/librbeeanswer.a']?.elf).toEqual({ symtab: true, debug: false });
    // Read-only files are not stripped (makepkg's find -perm -u+w); objects are left alone.
    expect(t['rbee-strip/usr/bin/rbee-hello-readonly']?.elf).toEqual({ symtab: true, debug: true });
    // fakeroot records 444 but keeps the file u+rw on disk, in both trees.
    expect(t['rbee-strip/usr/bin/rbee-hello-readonly']?.mode).toBe('644');
    expect(t['rbee-strip/usr/lib/rbee/answer.o']?.elf).toEqual({ symtab: true, debug: true });
  });

  test('options=(!strip) leaves symbols in place', async () => {
    const runs = await expectSameSuccess('nostrip-c');
    expect(tree(runs)['rbee-nostrip/usr/bin/rbee-hello']?.elf).toEqual({
      symtab: true,
      debug: true,
    });
  });

  test('background children of a finished build do not outlive it', async () => {
    // The pid files hold pids of the build's PID namespace: find its processes by a variable.
    const token = bgToken();
    const [name, value] = token.split('=') as [string, string];
    const runs = await expectSameSuccess('background-child', {
      env: { ...process.env, ...world.env, [name]: value },
    });
    for (const file of ['child.pid', 'stubborn.pid', 'grandchild.pid']) {
      expect(Number(readFileSync(join(runs.rbeeDir, 'src', file), 'utf8')), file).toBeGreaterThan(
        0,
      );
    }
    expect(processesWithEnv(token)).toEqual([]);
  });

  test('git sources check out the default branch, #branch=, #tag= and #commit=', async () => {
    const runs = await expectSameSuccess('git-sources');
    const dir = 'rbee-git/usr/share/rbee-git';
    expect(read(runs, `${dir}/head.txt`)).toBe('main 2\n');
    expect(read(runs, `${dir}/branch.txt`)).toBe('feature\n');
    expect(read(runs, `${dir}/tag.txt`)).toBe('v1\n');
    expect(read(runs, `${dir}/commit.txt`)).toBe('v1\n');
    expect(read(runs, `${dir}/tag.ref`)).toBe('makepkg\n');
  });

  test('file:// sources are copied in', async () => {
    const runs = await expectSameSuccess('file-url');
    expect(read(runs, 'rbee-file-url/usr/share/rbee-file-url/copied.txt')).toBe(
      'reached through file://\n',
    );
  });

  test('options in the PKGBUILD override OPTIONS', async () => {
    const runs = await expectSameSuccess('options-override');
    const t = tree(runs);
    expect(t['rbee-options/usr/share/man/man1/kept.1']).toBeDefined();
    expect(t['rbee-options/usr/share/doc/rbee/README']).toBeUndefined();
    expect(t['rbee-options/usr/lib/librbee.la']).toBeUndefined();
    expect(t['rbee-options/usr/lib/librbee.a']).toBeUndefined();
    expect(t['rbee-options/usr/lib/libother.a']).toBeDefined();
  });

  test('shell state carries over from prepare() to check(), only exports reach package()', async () => {
    const runs = await expectSameSuccess('shell-state');
    const state = read(runs, 'rbee-shell-state/usr/share/rbee-shell-state/state');
    for (const line of [
      'build sees: set in prepare',
      'build cwd: /src',
      'umask: 0022',
      'extglob: on',
      'errexit: on',
      'nounset: off',
      'pipefail: off',
      'check sees: set in build',
      'package sees global: nothing',
      'package sees export: exported in build',
      'package cwd: /src',
    ]) {
      expect(state).toContain(line);
    }
  });

  test('package() runs under fakeroot: chown root and read-only directories work', async () => {
    const runs = await expectSameSuccess('fakeroot');
    expect(read(runs, 'rbee-fakeroot/usr/share/rbee-fakeroot/ids')).toBe(
      'fake uid 0, real uid 65534\n',
    );
    const t = tree(runs);
    expect(t['rbee-fakeroot/usr/share/rbee-fakeroot/locked/inside']?.type).toBe('file');
  });

  test('without /etc/makepkg.conf, the built-in defaults give the same settings', async () => {
    const runs = await expectSameSuccess('makepkg-settings');
    const builtIn = await slot(() =>
      runBuild(copyFixture(world, 'makepkg-settings', 'makepkg-settings-builtin'), {
        env: { ...process.env, ...world.env },
        makepkgConf: null,
      }),
    );
    const file = 'rbee-settings/usr/share/rbee-settings/settings';
    expect(readFileSync(join(builtIn.startdir, 'pkg', file), 'utf8')).toBe(read(runs, file));
    expect(read(runs, file)).toContain(
      'OPTIONS: strip docs libtool staticlibs emptydirs zipman purge !debug !lto',
    );
  });

  test('functions see makepkg variables and exported build flags', async () => {
    const runs = await expectSameSuccess('environment');
    const vars = read(runs, 'rbee-env/usr/share/rbee-env/vars');
    expect(vars).toContain('srcdir=/src');
    expect(vars).toContain('pkgdir=/pkg/rbee-env');
    expect(vars).toContain('pkgname=rbee-env pkgbase=rbee-env-base pkgver=2.0 pkgrel=3 epoch=1');
    expect(vars).toContain('SOURCE_DATE_EPOCH: set, 1700000000, exported=-x');
  });
});
