import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runBuild } from '../../../agent/executor/index.ts';
import { scratchPkgbuild } from './scratch-build.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** `rbee build …` as a whole command, through the real CLI entry. */
function rbee(...args: string[]) {
  const run = spawnSync('node', ['--import', 'tsx', 'cli/rbee.ts', 'build', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('rbee build', () => {
  test('builds a folder, prints its output live and exits 0', () => {
    const dir = scratchPkgbuild(
      "build() { echo 'to stdout'; echo 'to stderr' >&2; }\npackage() { install -Dm644 /dev/null \"$pkgdir/usr/share/marker\"; }",
    );
    const run = rbee(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('to stdout\n');
    expect(run.stderr).toContain('to stderr\n');
    expect(run.stdout).toContain('==> Starting build()...');
    expect(existsSync(join(dir, 'pkg', 'rbee-scratch', 'usr', 'share', 'marker'))).toBe(true);
    expect(existsSync(join(dir, 'src'))).toBe(true);
  });

  test('a failing build exits non-zero with the reason', () => {
    const dir = scratchPkgbuild("build() { echo 'half way'; return 2; }\npackage() { :; }");
    const run = rbee(dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('half way');
    expect(run.stderr).toContain('rbee build: build() failed with exit code 2');
  });

  test('--nocheck skips check()', () => {
    const dir = scratchPkgbuild("check() { echo 'checking'; false; }\npackage() { :; }");
    const run = rbee(dir, '--nocheck');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('checking');
  });

  test('a wrong call is a usage error (exit 2)', () => {
    expect(rbee().code).toBe(2);
    expect(rbee('a', 'b').code).toBe(2);
    expect(rbee('--source-base', 'not a url', 'dir').code).toBe(2);
  });
});

describe('build user', () => {
  test('root is refused as the build user', async () => {
    const dir = scratchPkgbuild('package() { :; }');
    await expect(runBuild(dir, { buildUser: { uid: 0, gid: 0 } })).rejects.toThrow(
      'buildUser must not be root',
    );
  });
});
