/**
 * The fixture corpus and the catalog against `makepkg --printsrcinfo`: byte-identical output
 * where makepkg succeeds, the same refusal where its lint or bash fails.
 *
 * Every case is compared with makepkg's stored answer (written only by `npm run oracle:record`,
 * which runs the real makepkg). In each run a rotating sample is also run through a live makepkg,
 * which must give exactly the stored answer; RBEE_ORACLE=live (`npm run test:oracle`) runs every
 * case live. On a loaded machine one makepkg call takes up to 20 s: the live tests have no limit
 * shorter than the calls they queue for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ParseError } from '../../../shared/pkgbuild/index.ts';
import { describeSample, oracleSample } from '../../support/oracle-sample.ts';
import { type CorpusCase, compareWithMakepkg, corpusCases } from './corpus-cases.ts';
import { limiter, makepkgCarch, makepkgPrintsrcinfo, type OracleResult } from './makepkg-oracle.ts';
import { type OracleCase, oracleCases, ours, readExpected } from './oracle-cases.ts';

const carch = await makepkgCarch();
const cases = oracleCases();

function expectAgrees(c: OracleCase | CorpusCase, makepkg: OracleResult): void {
  if (c.kind === 'corpus') {
    // A real PKGBUILD: identical, refused by both, or refused by us only; never wrong.
    const outcome = compareWithMakepkg(c.dir, carch, makepkg);
    expect(outcome.kind === 'wrong' ? outcome.detail : 'not wrong').toBe('not wrong');
    return;
  }
  if (c.kind === 'ok' || c.kind === 'catalog') {
    expect(makepkg.stderr).toBe('');
    expect(makepkg.exitCode).toBe(0);
    expect(ours(c.dir, carch)).toBe(makepkg.stdout);
    return;
  }
  const { makepkgExit = 12, ...expected } = JSON.parse(
    readFileSync(join(c.dir, 'expect.json'), 'utf8'),
  );
  let error: unknown;
  try {
    ours(c.dir, carch);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ParseError);
  const e = error as ParseError;
  expect({ code: e.code, line: e.line, column: e.column }).toEqual(expected);
  expect(makepkg.exitCode).toBe(makepkgExit);
  expect(makepkg.stdout).toBe('');
  if (e.code.startsWith('LINT_') || e.code === 'CRLF') {
    // makepkg names the PKGBUILD by its full path where we say "PKGBUILD".
    expect(makepkg.stderr).toContain(`ERROR: ${e.reason.replace(/ in PKGBUILD$/, '')}`);
  }
}

describe('the parser agrees with makepkg’s stored answer', () => {
  for (const c of cases) {
    test(`${c.kind} ${c.name}`, () => expectAgrees(c, readExpected(c)));
  }
});

const kinds = ['ok', 'lint', 'syntax', 'catalog'] as const;
// The real-world corpus (real-corpus.test.ts holds the parser to every stored answer) joins the
// rotation: its stored answers are re-checked against a live makepkg like the fixtures'.
const corpus = corpusCases().filter((c) => existsSync(c.expectedFile));
const liveCases = oracleSample<OracleCase | CorpusCase>(
  [...kinds.map((k) => cases.filter((c) => c.kind === k)), corpus],
  Number(process.env.RBEE_ORACLE_SAMPLE ?? 5),
);
describeSample(
  'srcinfo oracle',
  liveCases.map((c) => `${c.kind}/${c.name}`),
);

/** makepkg takes a core while it runs and the machine has two: two calls at a time. */
const slot = limiter(2);
/** Each call can take 20 s on a loaded machine; a test may queue behind all the others. */
const LIVE_LIMIT = 120_000 + 30_000 * liveCases.length;

describe.concurrent('a live makepkg gives exactly the stored answer', {
  timeout: LIVE_LIMIT,
}, () => {
  for (const c of liveCases) {
    test(`${c.kind} ${c.name}`, async () => {
      const makepkg = await slot(() => makepkgPrintsrcinfo(c.dir));
      // Stale stored answers are found here: `npm run oracle:record` rewrites them.
      expect(makepkg).toEqual(readExpected(c));
      expectAgrees(c, makepkg);
    });
  }
});
