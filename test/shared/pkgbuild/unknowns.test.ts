/**
 * Unknown values against the real bash: random PKGBUILD tops sprinkle unknowable assignments
 * (command substitutions, environment variables, globs, tildes), some flowing into fields the
 * .SRCINFO prints, some never read. The generator tracks which variables are unknown: where
 * one reaches a field the parser must refuse and name both places; where none does, it must
 * answer exactly what bash leaves in the fields after sourcing (inside a function, as makepkg).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { ParseError, parsePkgbuild } from '../../../shared/pkgbuild/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rbee-unknowns-'));
const home = join(dir, 'home');
mkdirSync(home);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = 'pkgname=p\npkgver=1\npkgrel=1\narch=(any)\n';
const TAIL = 'package() { :; }\n';

/** Sources each script inside a function (makepkg's source_safe) and prints the three fields. */
function bashFields(scripts: string[]): (string[] | null)[] {
  scripts.forEach((text, i) => {
    writeFileSync(join(dir, `case-${i}.sh`), text);
  });
  const print = 'printf "%s\\037" "$pkgdesc" "$url" "${#groups[@]}" "${groups[@]}"';
  const loop = `f() { source "$1"; }
for ((i = 0; i < ${scripts.length}; i++)); do
  ( f "case-$i.sh" || exit 99; ${print} ) > "out-$i" 2> "err-$i"
  echo $? > "rc-$i"
done`;
  const r = spawnSync('bash', ['-c', loop], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      LANG: 'C.UTF-8',
      RBEE_ENV: 'from-env',
    },
  });
  if (r.status !== 0) throw new Error(`bash batch failed: ${r.stderr}`);
  return scripts.map((_, i) => {
    const rc = readFileSync(join(dir, `rc-${i}`), 'utf8').trim();
    const err = readFileSync(join(dir, `err-${i}`), 'utf8');
    if (rc !== '0' || err !== '') return null;
    return readFileSync(join(dir, `out-${i}`), 'utf8')
      .split('\x1f')
      .slice(0, -1);
  });
}

type Stmt = { text: string; name: string; unknown: boolean | 'copy'; from?: number };

const UNKNOWABLE = [
  '$(echo sub)',
  '`echo tick`',
  '$RBEE_ENV',
  '${RBEE_ENV:-dflt}',
  '~/x',
  '"$(echo a b)"',
];
const KNOWN = ['plain', "'a b'", '"q-$_k0"', '1.0', '${_k0:-d}'];

/** A program: statements over _k0.._k2 (known) and _u0.._u2, plus the fields that read some. */
const program = fc
  .record({
    stmts: fc.array(
      fc.oneof(
        fc
          .tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...UNKNOWABLE))
          .map(([i, w]): Stmt => ({ text: `_u${i}=${w}`, name: `_u${i}`, unknown: true })),
        fc
          .tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...KNOWN))
          .map(([i, w]): Stmt => ({ text: `_k${i}=${w}`, name: `_k${i}`, unknown: false })),
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })).map(
          ([i, j]): Stmt => ({
            text: `_u${i}=$_u${j}`,
            name: `_u${i}`,
            unknown: 'copy',
            from: j,
          }),
        ),
        fc
          .integer({ min: 0, max: 2 })
          .map((i): Stmt => ({ text: `_u${i}=(*.nothing)`, name: `_u${i}`, unknown: true })),
        fc
          .integer({ min: 0, max: 2 })
          .map((i): Stmt => ({ text: `export _u${i}=$(echo e)`, name: `_u${i}`, unknown: true })),
        fc
          .integer({ min: 0, max: 2 })
          .map((i): Stmt => ({ text: `_u${i}=settled`, name: `_u${i}`, unknown: false })),
      ),
      { minLength: 1, maxLength: 6 },
    ),
    desc: fc.constantFrom('', '_k0', '_k1', '_u0', '_u1'),
    url: fc.constantFrom('', '_k2', '_u2'),
    groups: fc.constantFrom('', '_k1', '_u1', '_u2'),
  })
  .map(({ stmts, desc, url, groups }) => {
    // Which variables hold an unknown value at the end, replayed as bash would run them.
    // A glob makes an array of unknown length: a later `x=v` only sets element 0, still unknown.
    const unknown = new Set<string>();
    const maybeArray = new Set<string>();
    for (const s of stmts) {
      const isUnknown = s.unknown === 'copy' ? unknown.has(`_u${s.from}`) : s.unknown;
      if (s.text.includes('=(')) maybeArray.add(s.name);
      if (isUnknown || maybeArray.has(s.name)) unknown.add(s.name);
      else unknown.delete(s.name);
    }
    const lines = stmts.map((s) => s.text);
    if (desc) lines.push(`pkgdesc="d-$${desc}"`);
    if (url) lines.push(`url="https://x/$${url}"`);
    if (groups) lines.push(`groups=("$${groups}" g)`);
    const used = [desc, url, groups].some((v) => v !== '' && unknown.has(v));
    return { text: `${HEAD}${lines.join('\n')}\n${TAIL}`, used };
  });

const SEED = Number(process.env.RBEE_DIFF_SEED ?? 20261202);

test('unknown values are refused where a field reads them and answered as bash where none does', () => {
  const cases = fc.sample(program, { numRuns: 300, seed: SEED });
  const theirs = bashFields(cases.map((c) => c.text));
  let answered = 0;
  let refusedUsed = 0;
  cases.forEach((c, i) => {
    let mine: string[];
    try {
      const p = parsePkgbuild(c.text);
      const g = p.fields.groups;
      const groups = g === undefined ? [] : typeof g === 'string' ? [g] : g;
      mine = [
        String(p.fields.pkgdesc ?? ''),
        String(p.fields.url ?? ''),
        String(groups.length),
        ...groups,
      ];
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      expect(
        c.used,
        `refused although no field reads an unknown:\n${c.text}\n${error.message}`,
      ).toBe(true);
      // Both places: where it was used (the error's line) and where the unknown came from.
      expect(error.message).toMatch(
        /cannot be known statically|runs a program|environment|glob|tilde/,
      );
      refusedUsed++;
      return;
    }
    expect(c.used, `answered although a field reads an unknown:\n${c.text}`).toBe(false);
    answered++;
    expect(mine, c.text).toEqual(theirs[i]);
  });
  // Both halves must be exercised, or the test would prove little.
  expect(answered).toBeGreaterThan(60);
  expect(refusedUsed).toBeGreaterThan(60);
}, 300_000);

test('a refusal for an unknown read elsewhere names the line it was used on and the line it came from', () => {
  const text = `${HEAD}_rev=$(git rev-parse HEAD)\n_tag=r$_rev\npkgver=$_tag\n${TAIL}`;
  let error: unknown;
  try {
    parsePkgbuild(text);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ParseError);
  const e = error as ParseError;
  expect(e.code).toBe('COMMAND_SUBSTITUTION');
  expect([e.line, e.column]).toEqual([7, 1]);
  expect(e.origin).toEqual({
    line: 5,
    column: 6,
    reason: 'command substitution $(git rev-parse HEAD) runs a program',
  });
  expect(e.message).toBe(
    "Cannot parse PKGBUILD line 7 col 1: 'pkgver' is printed in the .SRCINFO but its value cannot be known statically (the unknown value comes from line 5 col 6: command substitution $(git rev-parse HEAD) runs a program)",
  );
});
