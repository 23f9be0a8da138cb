import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A throwaway PKGBUILD folder owned by nobody (the tests run as root, the executor builds as
 * nobody), removed when the test ends. `body` is the PKGBUILD after its standard header.
 */
export function scratchPkgbuild(body: string, files: Record<string, string> = {}): string {
  const base = mkdtempSync(join(tmpdir(), 'rbee-scratch-'));
  onTestFinished(() => rmSync(base, { recursive: true, force: true }));
  chmodSync(base, 0o755);
  const dir = join(base, 'pkg-src');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'PKGBUILD'),
    `pkgname=rbee-scratch\npkgver=1\npkgrel=1\narch=('any')\nlicense=('MIT')\n${body}\n`,
  );
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  execFileSync('chown', ['-R', '65534:65534', base]);
  return dir;
}
