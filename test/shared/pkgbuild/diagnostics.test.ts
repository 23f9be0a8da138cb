/**
 * Refusals: every construct the parser cannot decide statically, and every error code, with the
 * exact code, line and column.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PARSE_ERROR_CODES, ParseError, parsePkgbuild } from '../../../shared/pkgbuild/index.ts';

const FIXTURES = 'test/fixtures/pkgbuild';

function refusal(text: string, options: Parameters<typeof parsePkgbuild>[1] = { carch: 'x86_64' }) {
  try {
    parsePkgbuild(text, options);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
}

describe('refused constructs name the construct, line and column', () => {
  for (const name of readdirSync(join(FIXTURES, 'refuse')).sort()) {
    test(`refuse ${name}`, () => {
      const dir = join(FIXTURES, 'refuse', name);
      const expected = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8'));
      const e = refusal(readFileSync(join(dir, 'PKGBUILD'), 'utf8'));
      expect({ code: e.code, line: e.line, column: e.column }).toEqual(expected);
      expect(e.message).toBe(`Cannot parse PKGBUILD line ${e.line} col ${e.column}: ${e.reason}`);
    });
  }
});

test('every error code has a fixture that produces it', () => {
  const seen = new Set<string>();
  for (const sub of ['lint', 'syntax', 'refuse']) {
    for (const name of readdirSync(join(FIXTURES, sub))) {
      seen.add(JSON.parse(readFileSync(join(FIXTURES, sub, name, 'expect.json'), 'utf8')).code);
    }
  }
  expect([...PARSE_ERROR_CODES].filter((c) => !seen.has(c))).toEqual([]);
});

test('the message starts with what failed, as the issue specifies', () => {
  const text = 'pkgname=p\npkgver=1\npkgrel=1\narch=(any)\n\n\n\n\n\n\n\n    "unterminated\n';
  const e = refusal(text);
  expect(e).toBeInstanceOf(ParseError);
  expect(e.name).toBe('ParseError');
  expect(e.message).toBe('Cannot parse PKGBUILD line 12 col 5: unterminated double quote');
  expect(e.code).toBe('UNTERMINATED_QUOTE');
});

test('the filename option names the file in the message', () => {
  const e = refusal('pkgname=$(whoami)\n', { filename: 'workers/x/PKGBUILD' });
  expect(e.message).toBe(
    'Cannot parse workers/x/PKGBUILD line 1 col 9: command substitution $(whoami) runs a program',
  );
});

test('$CARCH without the carch option is refused rather than guessed', () => {
  const text =
    'pkgname=p\npkgver=1\npkgrel=1\narch=(x86_64)\n[[ $CARCH == x86_64 ]] && depends=(a)\ntrue\n';
  const e = refusal(text, {});
  expect({ code: e.code, line: e.line, column: e.column }).toEqual({
    code: 'ENVIRONMENT_VARIABLE',
    line: 5,
    column: 4,
  });
  expect(parsePkgbuild(text, { carch: 'aarch64' }).fields.depends).toBeUndefined();
  expect(parsePkgbuild(text, { carch: 'x86_64' }).fields.depends).toEqual(['a']);
});

test('a command substitution in a branch that is not taken is never run, so not refused', () => {
  const text =
    'pkgname=p\npkgver=1\npkgrel=1\narch=(any)\nif false; then pkgver=$(date); fi\npackage() { :; }\n';
  expect(parsePkgbuild(text).pkgver).toBe('1');
});

test('a lint failure inside a package function points at the override line', () => {
  const text =
    'pkgbase=b\npkgname=(a c)\npkgver=1\npkgrel=1\narch=(any)\npackage_a() { :; }\npackage_c() {\n  backup=(/etc/c.conf)\n}\n';
  const e = refusal(text);
  expect({ code: e.code, line: e.line, column: e.column }).toEqual({
    code: 'LINT_BACKUP',
    line: 8,
    column: 3,
  });
});

test('a PKGBUILD whose last command fails is refused, as makepkg fails to source it', () => {
  const text = 'pkgname=p\npkgver=1\npkgrel=1\narch=(x86_64)\n[[ $CARCH == arm ]] && depends=(a)\n';
  const e = refusal(text);
  expect({ code: e.code, line: e.line, column: e.column }).toEqual({
    code: 'SOURCE_FAILED',
    line: 5,
    column: 1,
  });
});

test('a for loop longer than the iteration bound is refused', () => {
  const text =
    'pkgname=p\npkgver=1\npkgrel=1\narch=(any)\nfor i in {1..6000} {1..6000}; do :; done\n';
  expect(refusal(text).code).toBe('LOOP');
});

test('brace expansion past its bound is refused', () => {
  const text = 'pkgname=p\npkgver=1\npkgrel=1\narch=(any)\ngroups=({1..100000})\n';
  expect(refusal(text).code).toBe('UNSUPPORTED_EXPANSION');
});
