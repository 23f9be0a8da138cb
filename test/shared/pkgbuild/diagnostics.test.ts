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

describe('every limit is an option with a default, refused just above it', () => {
  const head = 'pkgname=p\npkgver=1\npkgrel=1\narch=(any)\n';
  const limited = (text: string, options: Parameters<typeof parsePkgbuild>[1]) => {
    try {
      parsePkgbuild(text, options);
      return 'ok';
    } catch (error) {
      if (error instanceof ParseError) return error.code;
      throw error;
    }
  };

  test('maxLength', () => {
    const text = `${head}# ${'x'.repeat(100)}\n`;
    expect(limited(text, { maxLength: text.length - 1 })).toBe('LIMIT_EXCEEDED');
    expect(limited(text, { maxLength: text.length })).toBe('ok');
    expect(limited(text, { maxLength: text.length + 1 })).toBe('ok');
    const big = `${head}#${'x'.repeat(1024 * 1024)}\n`;
    expect(limited(big, {})).toBe('LIMIT_EXCEEDED');
  });

  test('maxLoopIterations', () => {
    const text = `${head}for i in {1..50}; do groups+=($i); done\n`;
    expect(limited(text, { maxLoopIterations: 49 })).toBe('LIMIT_EXCEEDED');
    expect(limited(text, { maxLoopIterations: 50 })).toBe('ok');
    expect(limited(text, { maxLoopIterations: 51 })).toBe('ok');
    const twice = `${head}for i in {1..6000}; do :; done\nfor i in {1..4001}; do :; done\n`;
    expect(limited(twice, {})).toBe('LIMIT_EXCEEDED');
  });

  test('maxBraceWords, for sequences and for lists', () => {
    const seq = `${head}groups=({1..100})\n`;
    expect(limited(seq, { maxBraceWords: 99 })).toBe('LIMIT_EXCEEDED');
    expect(limited(seq, { maxBraceWords: 100 })).toBe('ok');
    const product = `${head}groups=({a,b}{1..5})\n`;
    expect(limited(product, { maxBraceWords: 9 })).toBe('LIMIT_EXCEEDED');
    expect(limited(product, { maxBraceWords: 10 })).toBe('ok');
    expect(limited(`${head}groups=({1..10001})\n`, {})).toBe('LIMIT_EXCEEDED');
    expect(limited(`${head}groups=({1..10000})\n`, {})).toBe('ok');
  });

  test('maxValueLength', () => {
    const text = `${head}_x=${'a'.repeat(100)}\n_y=$_x$_x\n`;
    expect(limited(text, { maxValueLength: 199 })).toBe('LIMIT_EXCEEDED');
    expect(limited(text, { maxValueLength: 200 })).toBe('ok');
    // Doubling a value in a loop is stopped long before memory runs out.
    const doubling = `${head}_x=ab\nfor i in {1..40}; do _x=$_x$_x; done\n`;
    expect(limited(doubling, {})).toBe('LIMIT_EXCEEDED');
  });

  test('maxMatchSteps bounds pattern matching; a hostile pattern fails fast', () => {
    const text = `${head}_x=${'a'.repeat(50)}\n_y=\${_x//a/b}\n`;
    const steps = (max: number) => limited(text, { maxMatchSteps: max });
    expect(steps(10)).toBe('LIMIT_EXCEEDED');
    expect(steps(1_000_000)).toBe('ok');
    const hostile = `${head}_x=${'a'.repeat(200_000)}\n_y=\${_x//*a*a*a*a*a*b/c}\n`;
    const started = performance.now();
    expect(limited(hostile, {})).toBe('LIMIT_EXCEEDED');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test('limits hold inside package-function overrides too', () => {
    const text = `${head}package() { groups=({1..100}); }\n`;
    expect(limited(text, { maxBraceWords: 99 })).toBe('LIMIT_EXCEEDED');
    expect(limited(text, { maxBraceWords: 100 })).toBe('ok');
  });
});
