/**
 * The fixture corpus against the real `makepkg --printsrcinfo`, run in the test (the oracle,
 * never a frozen copy): byte-identical output where makepkg succeeds, the same refusal where
 * its lint fails.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ParseError, parsePkgbuild, printSrcinfo } from '../../../shared/pkgbuild/index.ts';
import { limiter, makepkgCarch, makepkgPrintsrcinfo } from './makepkg-oracle.ts';

const FIXTURES = 'test/fixtures/pkgbuild';
const carch = await makepkgCarch();

/** makepkg takes about a second per file and the machine has two cores: two at a time. */
const oracle = limiter(2);

function fileExists(dir: string) {
  return (path: string) => {
    const full = join(dir, path);
    return existsSync(full) && statSync(full).isFile();
  };
}

function ours(dir: string): string {
  const text = readFileSync(join(dir, 'PKGBUILD'), 'utf8');
  return printSrcinfo(parsePkgbuild(text, { carch, fileExists: fileExists(dir) }));
}

const list = (sub: string) => readdirSync(join(FIXTURES, sub)).sort();

describe.concurrent('srcinfo matches makepkg --printsrcinfo byte for byte', () => {
  for (const name of list('ok')) {
    test(`fixture ${name}`, async () => {
      const dir = join(FIXTURES, 'ok', name);
      const printed = ours(dir);
      const result = await oracle(() => makepkgPrintsrcinfo(dir));
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(printed).toBe(result.stdout);
    });
  }
});

describe.concurrent('catalog PKGBUILDs match makepkg --printsrcinfo', () => {
  const root = 'edge/catalog/workers';
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'PKGBUILD'))) continue;
    test(`catalog ${name}`, async () => {
      const printed = ours(dir);
      const result = await oracle(() => makepkgPrintsrcinfo(dir));
      expect(result.exitCode).toBe(0);
      expect(printed).toBe(result.stdout);
    });
  }
});

describe.concurrent('makepkg refuses these too: lint failures and bash syntax errors', () => {
  const cases = ['lint', 'syntax'].flatMap((sub) => list(sub).map((name) => ({ sub, name })));
  for (const { sub, name } of cases) {
    test(`${sub} ${name}`, async () => {
      const dir = join(FIXTURES, sub, name);
      const { makepkgExit = 12, ...expected } = JSON.parse(
        readFileSync(join(dir, 'expect.json'), 'utf8'),
      );
      let error: unknown;
      try {
        ours(dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ParseError);
      const e = error as ParseError;
      expect({ code: e.code, line: e.line, column: e.column }).toEqual(expected);
      const result = await oracle(() => makepkgPrintsrcinfo(dir));
      expect(result.exitCode).toBe(makepkgExit);
      expect(result.stdout).toBe('');
      if (e.code.startsWith('LINT_') || e.code === 'CRLF') {
        // makepkg names the PKGBUILD by its full path where we say "PKGBUILD".
        expect(result.stderr).toContain(`ERROR: ${e.reason.replace(/ in PKGBUILD$/, '')}`);
      }
    });
  }
});
