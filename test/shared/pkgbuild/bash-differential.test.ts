/**
 * Differential test against the real bash: random words built from the quoting, expansion and
 * brace grammar PKGBUILDs use are expanded by bash (sourcing, as makepkg does) and by the
 * parser. Where the parser answers, it must answer what bash answers; where bash fails, the
 * parser must refuse.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { ParseError, parsePkgbuild } from '../../../shared/pkgbuild/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rbee-bash-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PRELUDE = `pkgname=p\npkgver=1\npkgrel=1\n_s='a.b-c.d e'\n_t=Mixed.Case_42\n_a=(x 'y z' '' w.v)\n_e=\n_n=3\n_m='_n*2'\n`;

/**
 * Runs every script in one bash process, each sourced in its own subshell (as makepkg sources
 * a PKGBUILD), and returns what `print` printed, or null where sourcing failed or bash
 * complained. One process for hundreds of cases keeps the test fast.
 */
function bashBatch(scripts: string[], print: string): (string | null)[] {
  scripts.forEach((text, i) => {
    writeFileSync(join(dir, `case-${i}.sh`), text);
  });
  const loop = `for ((i = 0; i < ${scripts.length}; i++)); do
  ( source "case-$i.sh" || exit 99; ${print} ) > "out-$i" 2> "err-$i"
  echo $? > "rc-$i"
done`;
  const r = spawnSync('bash', ['-c', loop], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, LANG: 'C.UTF-8' },
  });
  if (r.status !== 0) throw new Error(`bash batch failed: ${r.stderr}`);
  return scripts.map((_, i) => {
    const rc = readFileSync(join(dir, `rc-${i}`), 'utf8').trim();
    const err = readFileSync(join(dir, `err-${i}`), 'utf8');
    return rc === '0' && err === '' ? readFileSync(join(dir, `out-${i}`), 'utf8') : null;
  });
}

/** Prints the element count, then each element, separated by \x1f. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, not a template
const PRINT = 'printf "%s\\037" "${#groups[@]}" "${groups[@]}"';

/** The count comes first: printf with no arguments would still print one empty field. */
const fields = (out: string | null) => (out === null ? null : out.split('\x1f').slice(1, -1));

function ours(word: string): string[] | ParseError {
  try {
    const p = parsePkgbuild(`${PRELUDE}groups=(${word})\n`);
    const g = p.variables.groups;
    return g === undefined ? [] : typeof g === 'string' ? [g] : g;
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
}

const lit = fc.stringMatching(/^[a-z0-9._:=,+@-]{1,4}$/);
const quotable = fc.stringMatching(/^[a-z .*?{},$\\'"-]{0,5}$/);
const single = quotable.map((s) => `'${s.replaceAll("'", `'\\''`)}'`);
const double = quotable.map((s) => `"${s.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`);
const ansi = quotable.map((s) => `$'${s.replace(/[\\']/g, (c) => `\\${c}`)}\\t'`);
const patternPiece = fc.constantFrom(
  '~',
  '*',
  '?',
  '.',
  '[a-c]',
  '[!.]',
  'a',
  'x',
  "'.'",
  '"*"',
  '\\*',
  '[[:alpha:]]',
  '-',
);
const pattern = fc.array(patternPiece, { minLength: 0, maxLength: 3 }).map((p) => p.join(''));
const name = fc.constantFrom('_s', '_t', '_e', '_u', '_a', '_a[1]', '_a[@]', '_a[*]', '_a[-1]');
const param = fc.oneof(
  name.filter((n) => !n.includes('[')).map((n) => `$${n}`),
  name.map((n) => `\${${n}}`),
  fc
    .tuple(name, fc.constantFrom('%', '%%', '#', '##'), pattern)
    .map(([n, o, p]) => `\${${n}${o}${p}}`),
  fc
    .tuple(
      name,
      fc.constantFrom('/', '//', '/#', '/%'),
      pattern,
      fc.constantFrom('', 'R', '&', '\\&', '"<&>"'),
    )
    .map(([n, o, p, r]) => `\${${n}${o}${p}/${r}}`),
  fc
    .tuple(name, fc.constantFrom(':-', '-', ':+', '+'), fc.oneof(lit, single, double))
    .map(([n, o, w]) => `\${${n}${o}${w}}`),
  fc.tuple(name, fc.constantFrom('^^', ',,', '^', ',')).map(([n, o]) => `\${${n}${o}}`),
  name.map((n) => `\${#${n}}`),
  fc
    .tuple(name, fc.integer({ min: -4, max: 5 }), fc.option(fc.integer({ min: -3, max: 4 })))
    .map(([n, o, l]) => `\${${n}: ${o}${l === null ? '' : `:${l}`}}`),
  // Offsets and lengths as bash reads them: empty is 0, parenthesised, arithmetic.
  fc
    .tuple(
      name,
      fc.constantFrom('', '0', '2', '(-2)', '1+1', ' -1', '_n'),
      fc.option(fc.constantFrom('', '1', '-1', '(-1)', '2*2', ' -2')),
    )
    .map(([n, o, l]) => `\${${n}:${o}${l === null ? '' : `:${l}`}}`),
);
const braces = fc.oneof(
  fc.array(lit, { minLength: 2, maxLength: 3 }).map((a) => `{${a.join(',')}}`),
  fc
    .tuple(fc.integer({ min: -3, max: 12 }), fc.integer({ min: -3, max: 12 }))
    .map(([a, b]) => `{${a}..${b}}`),
  fc.constantFrom('{a..e..2}', '{01..3}', '{x}', '{,a}', '{a,{b,c}}'),
);
const tilde = fc.constantFrom('~', '~/x', 'a:~', '\\~', "'~'");
const piece = fc.oneof(
  tilde,
  lit,
  single,
  double,
  ansi,
  param,
  braces,
  param.map((p) => `"${p}"`),
);
const word = fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''));
const words = fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));

const SEED = Number(process.env.RBEE_DIFF_SEED ?? 20261127);

test('random words expand exactly as bash expands them, or are refused', () => {
  const cases = fc.sample(words, { numRuns: 600, seed: SEED });
  const theirs = bashBatch(
    cases.map((w) => `${PRELUDE}groups=(${w})\n`),
    PRINT,
  ).map(fields);
  let answered = 0;
  cases.forEach((w, i) => {
    const mine = ours(w);
    if (mine instanceof ParseError) return;
    answered++;
    expect(mine, `groups=(${w})`).toEqual(theirs[i]);
  });
  // The refusals must stay the exception, or this test would prove little.
  expect(answered).toBeGreaterThan(400);
}, 600_000);

test('random scalar assignments (no splitting, no braces) match bash, or are refused', () => {
  const cases = fc.sample(word, { numRuns: 300, seed: SEED });
  const theirs = bashBatch(
    cases.map((w) => `${PRELUDE}_r=${w}\n`),
    'printf "%s" "$_r"',
  );
  let answered = 0;
  cases.forEach((w, i) => {
    let mine: string;
    try {
      const v = parsePkgbuild(`${PRELUDE}_r=${w}\n`).variables._r;
      // Absent: the value is unknown (a tilde, the environment), carried, never guessed.
      if (v === undefined) return;
      mine = typeof v === 'string' ? v : v[0]!;
    } catch (error) {
      if (error instanceof ParseError) return;
      throw error;
    }
    answered++;
    expect(mine, `_r=${w}`).toEqual(theirs[i]);
  });
  expect(answered).toBeGreaterThan(180);
}, 600_000);

test('random [[ x == pattern ]] conditions decide as bash decides, or are refused', () => {
  const subject = fc.oneof(
    param,
    lit,
    double,
    param.map((p) => `"${p}"`),
  );
  const cases = fc.sample(
    fc.tuple(
      subject,
      pattern.filter((p) => p !== ''),
    ),
    {
      numRuns: 500,
      seed: SEED,
    },
  );
  const script = ([s, p]: [string, string]) => `${PRELUDE}[[ ${s} == ${p} ]] && _m=yes || _m=no\n`;
  const theirs = bashBatch(cases.map(script), 'printf "%s" "$_m"');
  let answered = 0;
  cases.forEach((c, i) => {
    let mine: string;
    try {
      mine = String(parsePkgbuild(script(c)).variables._m);
    } catch (error) {
      if (error instanceof ParseError) return;
      throw error;
    }
    answered++;
    expect(mine, `[[ ${c[0]} == ${c[1]} ]]`).toEqual(theirs[i]);
  });
  expect(answered).toBeGreaterThan(180);
}, 600_000);

const arithAtom = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map(String),
  fc.constantFrom('010', '0x1f', '2#101', '36#z', '08', '0x', '9223372036854775807'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, not a template
  fc.constantFrom('_n', '_m', '_e', '_u', '_s', '$_n', '${_n}', '_a'),
);
const arithExpr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arithAtom,
    fc
      .tuple(
        tie('e'),
        fc.constantFrom(
          '+',
          '-',
          '*',
          '/',
          '%',
          '**',
          '<<',
          '>>',
          '<',
          '<=',
          '>',
          '>=',
          '==',
          '!=',
          '&',
          '|',
          '^',
          '&&',
          '||',
        ),
        tie('e'),
      )
      .map(([a, o, b]) => `${a} ${o} ${b}`),
    fc.tuple(fc.constantFrom('-', '+', '!', '~', '- '), tie('e')).map(([o, a]) => `${o}${a}`),
    tie('e').map((a) => `(${a})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, a, b]) => `${c} ? ${a} : ${b}`),
  ),
})).e;

test('random arithmetic $((…)) evaluates as bash evaluates it, or is refused', () => {
  const cases = fc.sample(arithExpr, { numRuns: 500, seed: SEED });
  const script = (e: string) => `${PRELUDE}_r=$((${e}))\n`;
  const theirs = bashBatch(cases.map(script), 'printf "%s" "$_r"');
  let answered = 0;
  cases.forEach((e, i) => {
    let mine: string;
    try {
      mine = String(parsePkgbuild(script(e)).variables._r);
    } catch (error) {
      if (error instanceof ParseError) return;
      throw error;
    }
    answered++;
    expect(mine, `$((${e}))`).toEqual(theirs[i]);
  });
  expect(answered).toBeGreaterThan(200);
}, 600_000);

test('random (( … )) commands decide && as bash decides them, or are refused', () => {
  const cases = fc.sample(arithExpr, { numRuns: 200, seed: SEED + 1 });
  const script = (e: string) => `${PRELUDE}(( ${e} )) && _r=yes || _r=no\n`;
  const theirs = bashBatch(cases.map(script), 'printf "%s" "$_r"');
  let answered = 0;
  cases.forEach((e, i) => {
    let mine: string;
    try {
      mine = String(parsePkgbuild(script(e)).variables._r);
    } catch (error) {
      if (error instanceof ParseError) return;
      throw error;
    }
    answered++;
    expect(mine, `(( ${e} ))`).toEqual(theirs[i]);
  });
  expect(answered).toBeGreaterThan(80);
}, 600_000);
