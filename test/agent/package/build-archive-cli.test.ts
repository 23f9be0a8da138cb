import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_TS, repoRoot } from '../../support/edge-process.ts';

const FIXTURE = fileURLToPath(new URL('./fixture/', import.meta.url));
const bsdtar = (...args: string[]) => execFileSync('bsdtar', args, { encoding: 'utf8' });
const base = mkdtempSync(join(tmpdir(), 'rbee-build-archive-'));
chmodSync(base, 0o755);

afterAll(() => rmSync(base, { recursive: true, force: true }));

/** `rbee build` as its own process, as an operator runs it. */
async function rbeeBuild(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [...NODE_TS, 'cli/rbee.ts', 'build', ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', PKGEXT: '.pkg.tar.zst' },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('rbee build DIR --archive', () => {
  it('writes one .pkg.tar.zst per package that pacman and bsdtar read', async () => {
    const dir = join(base, 'archive');
    cpSync(FIXTURE, dir, { recursive: true });
    const run = await rbeeBuild(dir, '--archive');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const files = readdirSync(dir)
      .filter((f) => f.includes('.pkg.tar'))
      .sort();
    expect(files).toEqual([
      'rbee-pkgtest-1:2.1.0-3-x86_64.pkg.tar.zst',
      'rbee-pkgtest-doc-1:2.1.0-3-any.pkg.tar.zst',
    ]);
    for (const f of files) {
      const sha = execFileSync('sha256sum', [join(dir, f)], { encoding: 'utf8' }).split(' ')[0];
      expect(run.stdout).toContain(`==> Package file: ${join(dir, f)} (`);
      expect(run.stdout).toContain(`sha256 ${sha})`);
    }
    const main = join(dir, files[0]!);
    const listing = bsdtar('-tvf', main);
    for (const line of listing.split('\n').filter(Boolean)) expect(line).toMatch(/ root +root /);
    expect(
      bsdtar('-tf', main)
        .split('\n')
        .filter((n) => n.startsWith('.')),
    ).toEqual(['.BUILDINFO', '.CHANGELOG', '.INSTALL', '.MTREE', '.PKGINFO']);
    expect(bsdtar('-xOf', main, '.PKGINFO')).toContain('builddate = 1700000000\n');
    const info = execFileSync('pacman', ['-Qip', main], { encoding: 'utf8' });
    expect(info).toMatch(/^Name +: rbee-pkgtest$/m);
    expect(info).toMatch(/^Version +: 1:2\.1\.0-3$/m);
    expect(execFileSync('pacman', ['-Qlp', main], { encoding: 'utf8' })).toContain(
      'rbee-pkgtest /usr/bin/rbee-pkgtest\n',
    );
  }, 180_000);

  it('without --archive leaves only the package trees, as makepkg --noarchive', async () => {
    const dir = join(base, 'noarchive');
    cpSync(FIXTURE, dir, { recursive: true });
    const run = await rbeeBuild(dir);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('==> Package file:');
    expect(readdirSync(dir).filter((f) => f.includes('.pkg.tar'))).toEqual([]);
    expect(readdirSync(join(dir, 'pkg')).sort()).toEqual(['rbee-pkgtest', 'rbee-pkgtest-doc']);
  }, 180_000);
});
