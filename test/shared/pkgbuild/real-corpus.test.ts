/**
 * The real-world corpus (test/fixtures/corpus) against makepkg's stored answers: every
 * PKGBUILD that has one must give the identical .SRCINFO, or be refused where makepkg refused.
 * A refusal of ours where makepkg answers is allowed (the parser refuses what it cannot know
 * statically) but counted and listed by class; any other difference is a wrong answer and fails.
 * Parser only: no makepkg runs here (oracle-corpus.test.ts samples corpus cases live).
 */
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { type CorpusOutcome, compareWithMakepkg, corpusCases } from './corpus-cases.ts';
import { makepkgCarch } from './makepkg-oracle.ts';
import { readExpected } from './oracle-cases.ts';

const carch = await makepkgCarch();
const cases = corpusCases();
const recorded = cases.filter((c) => existsSync(c.expectedFile));
const outcomes = new Map<string, CorpusOutcome>();

describe('real-world corpus against makepkg’s stored answer', () => {
  for (const c of recorded) {
    test(c.name, () => {
      const outcome = compareWithMakepkg(c.dir, carch, readExpected(c));
      outcomes.set(c.name, outcome);
      // A wrong answer is a parser bug: makepkg is the reference.
      expect(outcome.kind === 'wrong' ? outcome.detail : 'not wrong').toBe('not wrong');
    });
  }

  test('summary: identical / refused by both / refused by us only, by class', () => {
    const by = (k: CorpusOutcome['kind']) => [...outcomes].filter(([, o]) => o.kind === k);
    const classes = new Map<string, string[]>();
    for (const [name, o] of by('refused')) {
      if (o.kind !== 'refused') continue;
      classes.set(o.code, [...(classes.get(o.code) ?? []), `${name} line ${o.line}: ${o.reason}`]);
    }
    console.log(
      `corpus: ${cases.length} PKGBUILDs, ${recorded.length} with makepkg's stored answer: ` +
        `${by('identical').length} identical, ${by('both-refuse').length} refused by both, ` +
        `${by('refused').length} refused by us only, ${by('wrong').length} wrong, ` +
        `${by('machine').length} refused by makepkg for a VCS client this machine lacks` +
        (cases.length > recorded.length
          ? `; ${cases.length - recorded.length} await makepkg (npm run oracle:record -- --missing)`
          : ''),
    );
    for (const [code, list] of classes) console.log(`  ${code}: ${list.join('; ')}`);
    for (const [name, o] of by('machine')) {
      if (o.kind === 'machine') console.log(`  machine: ${name}: ${o.detail}`);
    }
    expect(by('wrong')).toEqual([]);
    expect(outcomes.size).toBe(recorded.length);
  });
});
