/**
 * `npm run corpus:compare -- DIR [--sample N] [--seed S] [--jobs J] [--json FILE]`: the static
 * parser against `makepkg --printsrcinfo` on a folder of real PKGBUILDs (each `DIR/<name>/PKGBUILD`,
 * at any depth), so the README's corpus figure can be made again on any collection.
 *
 * Samples N of them with seed S (all by default), runs makepkg on each as an unprivileged user, at
 * most J at once (default 2: the machine is shared), and sorts every PKGBUILD into: agreement
 * (byte-identical .SRCINFO, or both refuse), a refusal of ours where makepkg answers (by code, with
 * examples), or a wrong answer (ours differs from makepkg's, or we answer where makepkg fails),
 * which is a bug. makepkg's answers are cached in DIR/.makepkg-cache by the PKGBUILD's hash, so a
 * second run after a parser change takes seconds. For a folder outside the repository; the corpus
 * committed under test/fixtures/corpus has makepkg's answers stored and is checked by `npm test`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import {
  type CorpusOutcome,
  compareText,
  namedFiles,
} from '../test/shared/pkgbuild/corpus-cases.ts';
import {
  limiter,
  makepkgCarch,
  makepkgPrintsrcinfo,
  type OracleResult,
} from '../test/shared/pkgbuild/makepkg-oracle.ts';
import { seededRandom } from '../test/support/oracle-sample.ts';

type Outcome = CorpusOutcome & { name: string };

function usage(message: string): never {
  console.error(`corpus:compare: ${message}`);
  console.error(
    'usage: npm run corpus:compare -- DIR [--sample N] [--seed S] [--jobs J] [--json FILE]',
  );
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const opts = { dir: '', sample: Infinity, seed: 18, jobs: 2, json: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--sample') opts.sample = Number(value());
    else if (a === '--seed') opts.seed = Number(value());
    else if (a === '--jobs') opts.jobs = Number(value());
    else if (a === '--json') opts.json = value();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else opts.dir = a;
  }
  if (!opts.dir) usage('DIR is missing');
  if (!existsSync(opts.dir) || !statSync(opts.dir).isDirectory())
    usage(`${opts.dir} is not a folder`);
  for (const k of ['sample', 'seed', 'jobs'] as const) {
    if (!(opts[k] > 0)) usage(`--${k} must be a positive number`);
  }
  if (opts.jobs > 2) usage('--jobs is at most 2: makepkg takes a core and the machine is shared');
  return opts;
}

/** Every folder under `dir` that holds a PKGBUILD, in a stable order. */
function findPkgbuilds(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'PKGBUILD') out.push(p);
    }
  };
  walk(dir);
  return out;
}

function sample<T>(items: T[], n: number, seed: number): T[] {
  if (n >= items.length) return items;
  const next = seededRandom(seed);
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < n) picked.push(pool.splice(Math.floor(next() * pool.length), 1)[0]!);
  return picked;
}

async function makepkgAnswer(
  text: string,
  files: string[],
  cacheDir: string,
): Promise<OracleResult> {
  const key = createHash('sha256')
    .update(text)
    .update(`\0${files.join('\0')}`)
    .digest('hex');
  const cached = join(cacheDir, `${key}.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as OracleResult;
  const work = await mkdtemp(join(tmpdir(), 'rbee-corpus-'));
  try {
    await writeFile(join(work, 'PKGBUILD'), text);
    for (const f of files) await writeFile(join(work, f), '');
    const r = await makepkgPrintsrcinfo(work);
    writeFileSync(cached, JSON.stringify(r));
    return r;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
const carch = await makepkgCarch();
const all = findPkgbuilds(opts.dir);
if (all.length === 0) usage(`no PKGBUILD under ${opts.dir}`);
const picked = sample(all, opts.sample, opts.seed);
const cacheDir = join(opts.dir, '.makepkg-cache');
mkdirSync(cacheDir, { recursive: true });
const slot = limiter(opts.jobs);
const start = performance.now();
let done = 0;
const outcomes = await Promise.all(
  picked.map((file) =>
    slot(async () => {
      const name = relative(opts.dir, dirname(file)) || basename(dirname(file));
      const text = readFileSync(file, 'utf8');
      const files = namedFiles(text, carch);
      const m = await makepkgAnswer(text, files, cacheDir);
      done++;
      if (process.stderr.isTTY) process.stderr.write(`\r${done}/${picked.length}`);
      return { name, ...compareText(text, (f) => files.includes(f), carch, m) } as Outcome;
    }),
  ),
);
if (process.stderr.isTTY) process.stderr.write('\n');

const count = (k: Outcome['kind']) => outcomes.filter((o) => o.kind === k).length;
const pct = (n: number) => `${((100 * n) / outcomes.length).toFixed(1)}%`;
const makepkgOk =
  outcomes.length -
  count('both-refuse') -
  count('machine') -
  outcomes.filter((o) => o.kind === 'wrong' && o.detail.startsWith('makepkg exits')).length;
console.log(
  `corpus ${opts.dir}: ${outcomes.length} of ${all.length} PKGBUILDs (seed ${opts.seed}), CARCH=${carch}, makepkg answered ${makepkgOk}, ${((performance.now() - start) / 1000).toFixed(0)} s`,
);
console.log(`  identical .SRCINFO: ${count('identical')} (${pct(count('identical'))})`);
console.log(`  both refuse:        ${count('both-refuse')} (${pct(count('both-refuse'))})`);
console.log(`  refused by us only: ${count('refused')} (${pct(count('refused'))})`);
console.log(`  wrong answers:      ${count('wrong')}`);
const byCode = new Map<string, Extract<Outcome, { kind: 'refused' }>[]>();
for (const o of outcomes) {
  if (o.kind !== 'refused') continue;
  byCode.set(o.code, [...(byCode.get(o.code) ?? []), o]);
}
for (const [code, list] of [...byCode].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`  refused ${code}: ${list.length}`);
  for (const o of list) console.log(`    ${o.name} line ${o.line}: ${o.reason}`);
}
for (const o of outcomes) {
  if (o.kind === 'wrong') console.log(`  WRONG ${o.name}: ${o.detail}`);
  if (o.kind === 'machine')
    console.log(`  not this PKGBUILD but this machine: ${o.name}: ${o.detail}`);
  if (o.kind === 'both-refuse')
    console.log(`  both refuse ${o.name}: ours ${o.code}, makepkg exit ${o.makepkgExit}`);
}
if (opts.json) writeFileSync(opts.json, `${JSON.stringify(outcomes, null, 2)}\n`);
process.exitCode = count('wrong') > 0 ? 1 : 0;
