/** `rbee srcinfo` end to end: a real process, compared with the real makepkg. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parsePkgbuild, printSrcinfo } from '../../../shared/pkgbuild/index.ts';
import { makepkgCarch } from './makepkg-oracle.ts';
import { oracleCases, readExpected } from './oracle-cases.ts';

type Run = { exitCode: number; stdout: string; stderr: string };

function rbee(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'node_modules/.bin/tsx',
      ['cli/rbee.ts', ...args],
      { encoding: 'utf8' },
      (error, stdout, stderr) => {
        resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

describe.concurrent('rbee srcinfo', () => {
  test('prints exactly what makepkg --printsrcinfo prints (its stored answer)', async () => {
    const dir = 'edge/catalog/workers/rbee-hello-worker';
    const ours = await rbee('srcinfo', join(dir, 'PKGBUILD'));
    // makepkg's stored answer, re-checked against a live makepkg by the oracle suite.
    const theirs = readExpected(
      oracleCases().find((c) => c.kind === 'catalog' && c.name === 'rbee-hello-worker')!,
    );
    expect(ours.stderr).toBe('');
    expect(ours.exitCode).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
  });

  // The corpus test holds the parser to makepkg for these; here the CLI is held to the parser.
  for (const name of ['split-per-arch', 'all-fields', 'realistic-mesa-like']) {
    test(`prints the parser's .SRCINFO for fixture ${name}`, async () => {
      const path = join('test/fixtures/pkgbuild/ok', name, 'PKGBUILD');
      const run = await rbee('srcinfo', path);
      const text = readFileSync(path, 'utf8');
      const carch = await makepkgCarch();
      const dir = join('test/fixtures/pkgbuild/ok', name);
      const expected = printSrcinfo(
        parsePkgbuild(text, { carch, fileExists: (f) => existsSync(join(dir, f)) }),
      );
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe(expected);
    });
  }

  test('prints a diagnostic with code, line and column on stderr and exits non-zero', async () => {
    const path = 'test/fixtures/pkgbuild/refuse/command-substitution/PKGBUILD';
    const run = await rbee('srcinfo', path);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `Cannot parse ${path} line 5 col 19: command substitution $(date +%F) runs a program   [COMMAND_SUBSTITUTION]\n`,
    );
  });

  test('checks install files next to the PKGBUILD, as makepkg does', async () => {
    const run = await rbee('srcinfo', 'test/fixtures/pkgbuild/lint/install-missing/PKGBUILD');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('install file (nothere.install) does not exist');
  });

  test('--carch decides $CARCH', async () => {
    const path = 'test/fixtures/pkgbuild/ok/conditional-carch/PKGBUILD';
    const run = await rbee('srcinfo', '--carch', 'aarch64', path);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('\tdepends = arm-only\n');
  });

  test('a missing file or a missing argument is reported, not thrown', async () => {
    const missing = await rbee('srcinfo', 'no/such/PKGBUILD');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^Cannot read no\/such\/PKGBUILD: /);
    const none = await rbee('srcinfo');
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('expects exactly one PKGBUILD path');
  });
});
