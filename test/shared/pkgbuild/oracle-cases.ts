/**
 * The PKGBUILDs held to `makepkg --printsrcinfo`, and makepkg's answer for each, kept beside the
 * fixture as `makepkg.json` (catalog workers: under test/fixtures/pkgbuild/catalog-expected/).
 *
 * The stored answers are written only by `npm run oracle:record`, which runs the real makepkg;
 * `npm test` compares the parser with every stored answer and a rotating sample with a live
 * makepkg (which also re-checks those stored answers); `npm run test:oracle` does all of them live.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePkgbuild, printSrcinfo } from '../../../shared/pkgbuild/index.ts';
import type { OracleResult } from './makepkg-oracle.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test/fixtures/pkgbuild');
const CATALOG = join(ROOT, 'edge/catalog/workers');
const CATALOG_EXPECTED = join(FIXTURES, 'catalog-expected');

export type OracleKind = 'ok' | 'lint' | 'syntax' | 'catalog';
export type OracleCase = { kind: OracleKind; name: string; dir: string; expectedFile: string };

/** Every case, in a stable order: fixtures that must parse, that makepkg refuses, the catalog. */
export function oracleCases(): OracleCase[] {
  const list = (sub: string) => readdirSync(join(FIXTURES, sub)).sort();
  const fixtures = (['ok', 'lint', 'syntax'] as const).flatMap((kind) =>
    list(kind).map((name) => {
      const dir = join(FIXTURES, kind, name);
      return { kind, name, dir, expectedFile: join(dir, 'makepkg.json') };
    }),
  );
  const catalog = readdirSync(CATALOG)
    .sort()
    .filter((name) => existsSync(join(CATALOG, name, 'PKGBUILD')))
    .map((name) => ({
      kind: 'catalog' as const,
      name,
      dir: join(CATALOG, name),
      expectedFile: join(CATALOG_EXPECTED, `${name}.json`),
    }));
  return [...fixtures, ...catalog];
}

export function readExpected(c: { expectedFile: string }): OracleResult {
  if (!existsSync(c.expectedFile)) {
    throw new Error(`${c.expectedFile} is missing: run npm run oracle:record (it runs makepkg)`);
  }
  const { exitCode, stdout, stderr } = JSON.parse(readFileSync(c.expectedFile, 'utf8'));
  return { exitCode, stdout, stderr };
}

export function serializeExpected(result: OracleResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** The parser's `.SRCINFO` for a fixture folder, with the folder's files visible to it. */
export function ours(dir: string, carch: string): string {
  const text = readFileSync(join(dir, 'PKGBUILD'), 'utf8');
  const fileExists = (path: string) => {
    const full = join(dir, path);
    return existsSync(full) && statSync(full).isFile();
  };
  return printSrcinfo(parsePkgbuild(text, { carch, fileExists }));
}
