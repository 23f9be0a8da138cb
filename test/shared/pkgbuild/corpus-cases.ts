/**
 * The real-world corpus: PKGBUILDs copied from public Arch repositories into
 * test/fixtures/corpus/<collection>/<name>/, each with makepkg's stored answer (`makepkg.json`,
 * written only by `npm run oracle:record`). See test/fixtures/corpus/README.md for how they were
 * drawn. `npm test` holds the parser to every stored answer (real-corpus.test.ts); the oracle
 * suite's rotating live sample includes corpus cases too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParseError, parsePkgbuild, printSrcinfo } from '../../../shared/pkgbuild/index.ts';
import type { OracleResult } from './makepkg-oracle.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CORPUS = join(ROOT, 'test/fixtures/corpus');

export type CorpusCase = {
  kind: 'corpus';
  /** `<collection>/<name>`, e.g. `svntogit-community/ripgrep`. */
  name: string;
  collection: string;
  dir: string;
  expectedFile: string;
};

/** Every corpus PKGBUILD, collection by collection, in a stable order. */
export function corpusCases(): CorpusCase[] {
  if (!existsSync(CORPUS)) return [];
  const dirs = (p: string) =>
    readdirSync(p)
      .filter((n) => !n.startsWith('.') && statSync(join(p, n)).isDirectory())
      .sort();
  return dirs(CORPUS).flatMap((collection) =>
    dirs(join(CORPUS, collection))
      .filter((name) => existsSync(join(CORPUS, collection, name, 'PKGBUILD')))
      .map((name) => {
        const dir = join(CORPUS, collection, name);
        return {
          kind: 'corpus' as const,
          name: `${collection}/${name}`,
          collection,
          dir,
          expectedFile: join(dir, 'makepkg.json'),
        };
      }),
  );
}

/**
 * The install and changelog files a PKGBUILD names. A corpus holds bare PKGBUILDs, and makepkg's
 * lint fails on a missing install file alone, so the corpus keeps an empty file of each name
 * beside the PKGBUILD (both makepkg and the parser then see it).
 */
export function namedFiles(text: string, carch: string): string[] {
  const names = new Set<string>();
  try {
    const p = parsePkgbuild(text, { carch, fileExists: () => true });
    for (const v of [p.fields.install, p.fields.changelog])
      if (typeof v === 'string' && v) names.add(v);
    for (const pkg of p.packages) {
      for (const v of [pkg.overrides.install, pkg.overrides.changelog]) {
        if (typeof v === 'string' && v) names.add(v);
      }
    }
  } catch {
    // Refused: fall back to the literal names written in the file.
  }
  for (const m of text.matchAll(
    /^[ \t]*(?:install|changelog)=["']?([A-Za-z0-9._+-]+)["']?[ \t]*$/gm,
  )) {
    names.add(m[1]!);
  }
  return [...names]
    .filter((n) => !n.includes('/') && n !== '.' && n !== '..' && n !== 'PKGBUILD')
    .sort();
}

export type CorpusOutcome =
  | { kind: 'identical' }
  | { kind: 'both-refuse'; code: string; makepkgExit: number }
  | { kind: 'refused'; code: string; line: number; reason: string }
  | { kind: 'machine'; detail: string }
  | { kind: 'wrong'; detail: string };

/**
 * makepkg refuses a VCS source whose client (svn, hg, bzr, fossil) is not installed on this
 * machine, even for --printsrcinfo: that answer is about the machine, not the PKGBUILD.
 */
const MISSING_VCS_CLIENT = /ERROR: Cannot find the \S+ package needed to handle \S+ sources\./;

function firstDifference(ours: string, theirs: string): string {
  const a = ours.split('\n');
  const b = theirs.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}: ours ${JSON.stringify(a[i])}, makepkg ${JSON.stringify(b[i])}`;
  }
  return 'identical';
}

/**
 * The parser's answer for one corpus folder against makepkg's: identical .SRCINFO, a refusal of
 * both, a refusal of ours only (a class to list), or a wrong answer (a bug: makepkg is right).
 */
export function compareWithMakepkg(dir: string, carch: string, m: OracleResult): CorpusOutcome {
  const text = readFileSync(join(dir, 'PKGBUILD'), 'utf8');
  const fileExists = (path: string) => {
    const full = join(dir, path);
    return existsSync(full) && statSync(full).isFile();
  };
  return compareText(text, fileExists, carch, m);
}

/** compareWithMakepkg on a PKGBUILD's text, with the files beside it given by `fileExists`. */
export function compareText(
  text: string,
  fileExists: (path: string) => boolean,
  carch: string,
  m: OracleResult,
): CorpusOutcome {
  let ours: string | undefined;
  let error: ParseError | undefined;
  try {
    ours = printSrcinfo(parsePkgbuild(text, { carch, fileExists }));
  } catch (e) {
    if (!(e instanceof ParseError)) return { kind: 'wrong', detail: `parser threw ${String(e)}` };
    error = e;
  }
  if (m.exitCode === 0) {
    if (error) return { kind: 'refused', code: error.code, line: error.line, reason: error.reason };
    if (ours === m.stdout) return { kind: 'identical' };
    return { kind: 'wrong', detail: firstDifference(ours!, m.stdout) };
  }
  if (!error) {
    if (MISSING_VCS_CLIENT.test(m.stderr)) {
      return { kind: 'machine', detail: m.stderr.trim().split('\n')[0] ?? '' };
    }
    const why = m.stderr.trim().split('\n').slice(-1)[0] ?? '';
    return { kind: 'wrong', detail: `makepkg exits ${m.exitCode} (${why}) but we answer` };
  }
  return { kind: 'both-refuse', code: error.code, makepkgExit: m.exitCode };
}
