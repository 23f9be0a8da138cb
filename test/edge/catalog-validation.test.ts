import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_TS, repoRoot, tempDir } from '../support/edge-process.ts';
import { fixtureCatalog } from '../support/fleet.ts';

/** A catalog folder with one copy of test-failing-worker, changed by `edit`. */
function catalogWith(edit: (dir: string) => void): string {
  const root = tempDir('catalog');
  const dir = join(root, 'test-failing-worker');
  mkdirSync(dir);
  cpSync(join(fixtureCatalog, 'test-failing-worker'), dir, { recursive: true });
  edit(dir);
  return root;
}

const rewrite = (file: string, from: string, to: string) =>
  writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));

/** Starts `rbee edge` with the catalog and returns how it exited (it must not start). */
function startWith(catalog: string) {
  return spawnSync(
    process.execPath,
    [
      ...NODE_TS,
      'cli/rbee.ts',
      'edge',
      '--port',
      '0',
      '--data',
      tempDir('data'),
      '--catalog',
      catalog,
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 },
  );
}

describe('the edge refuses to start with a PKGBUILD it cannot serve', () => {
  it.each([
    [
      'a PKGBUILD that does not parse',
      (dir: string) =>
        writeFileSync(
          join(dir, 'PKGBUILD'),
          `${readFileSync(join(dir, 'PKGBUILD'), 'utf8')}pkgdesc="unterminated\n`,
        ),
      /refusing to start: Catalog entry test-failing-worker: Cannot parse test-failing-worker\/PKGBUILD line 18 col 9: unterminated double quote \[UNTERMINATED_QUOTE\]/,
    ],
    [
      'a version that disagrees with the entry',
      (dir: string) => rewrite(join(dir, 'PKGBUILD'), 'pkgver=1.0.0', 'pkgver=1.0.1'),
      /version 1\.0\.0 disagrees with the PKGBUILD's pkgver 1\.0\.1/,
    ],
    [
      'a package name that is not the entry id',
      (dir: string) =>
        rewrite(join(dir, 'PKGBUILD'), 'pkgname=test-failing-worker', 'pkgname=other-worker'),
      /its PKGBUILD builds other-worker, not test-failing-worker/,
    ],
    [
      'an architecture the PKGBUILD does not build',
      (dir: string) =>
        rewrite(join(dir, 'PKGBUILD'), "arch=('x86_64' 'aarch64')", "arch=('x86_64')"),
      /lists aarch64, which its PKGBUILD's arch=\(x86_64\) does not build/,
    ],
    [
      'a local source missing from its folder',
      (dir: string) =>
        rewrite(
          join(dir, 'PKGBUILD'),
          "license=('MIT')",
          "license=('MIT')\nsource=('missing.patch')\nsha256sums=('SKIP')",
        ),
      /its PKGBUILD names missing\.patch, which is not in its folder/,
    ],
  ])('%s', (_name, edit, message) => {
    const run = startWith(catalogWith(edit));
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toMatch(/listening on/);
    expect(run.stderr).toMatch(message);
  });

  it('starts with the unchanged copy (the cases above fail for their edit alone)', () => {
    const child = spawnSync(
      process.execPath,
      [
        ...NODE_TS,
        '-e',
        `import('./edge/catalog/catalog.ts').then(async ({ loadCatalog }) => {
        const { fsCatalogReader, catalogRoot } = await import('./edge/node/catalog-reader.ts');
        const { seedEntries } = await import('./edge/catalog/entries.ts');
        const { pathToFileURL } = await import('node:url');
        const c = await loadCatalog(seedEntries, fsCatalogReader(catalogRoot), fsCatalogReader(pathToFileURL(process.argv[1] + '/')));
        console.log(c.entries().map((e) => e.id).join(' '));
      })`,
        catalogWith(() => {}),
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe(
      'llm-worker-rbee-cpu llm-worker-rbee-cuda llm-worker-rbee-metal rbee-hello-worker test-failing-worker',
    );
  });
});
