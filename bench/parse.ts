/**
 * `npm run bench:parse`: how many PKGBUILDs per second the static parser turns into .SRCINFO on
 * one core, next to `makepkg --printsrcinfo` on a sample of the same files, in the same run.
 * BENCH_BASELINE=<git revision> also times that revision's parser (shared/pkgbuild from `git
 * archive`) on the same corpus, in alternating rounds in this process, and prints the ratio: on a
 * shared, noisy machine only figures taken side by side compare.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePkgbuild, printSrcinfo } from '../shared/pkgbuild/index.ts';
import { makepkgCarch, makepkgPrintsrcinfo } from '../test/shared/pkgbuild/makepkg-oracle.ts';

const CORPUS = 'test/fixtures/pkgbuild/ok';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SAMPLE = Number(process.env.BENCH_MAKEPKG_SAMPLE ?? 5);

const dirs = readdirSync(CORPUS)
  .sort()
  .map((name) => join(CORPUS, name))
  .filter((dir) => existsSync(join(dir, 'PKGBUILD')));
const texts = dirs.map((dir) => readFileSync(join(dir, 'PKGBUILD'), 'utf8'));
const carch = await makepkgCarch();
const bytes = texts.reduce((n, t) => n + t.length, 0);

let sink = 0;
const once = () => {
  for (const text of texts) sink += printSrcinfo(parsePkgbuild(text, { carch })).length;
};
// Warm up the JIT before timing, as a long-running edge would be.
for (let i = 0; i < 50; i++) once();

let parsed = 0;
const start = performance.now();
const cpuStart = process.cpuUsage();
let elapsed = 0;
while (elapsed < SECONDS * 1000) {
  once();
  parsed += texts.length;
  elapsed = performance.now() - start;
}
const cpu = process.cpuUsage(cpuStart);
// Wall time counts time other processes took from us; CPU time is what one core spent here.
const ours = parsed / (elapsed / 1000);
const oursCpu = parsed / ((cpu.user + cpu.system) / 1e6);

const sample = dirs.filter((_, i) => i % Math.max(1, Math.floor(dirs.length / SAMPLE)) === 0);
const picked = sample.slice(0, SAMPLE);
const mStart = performance.now();
for (const dir of picked) {
  const r = await makepkgPrintsrcinfo(dir);
  if (r.exitCode !== 0) throw new Error(`makepkg failed on ${dir}: ${r.stderr}`);
}
const theirs = picked.length / ((performance.now() - mStart) / 1000);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = loadavg()[0]!.toFixed(2);
console.log(
  `corpus: ${texts.length} PKGBUILDs (${fmt(bytes / texts.length)} characters on average), CARCH=${carch}, load average ${load} on ${availableParallelism()} cores`,
);
console.log(
  `rbee parsePkgbuild+printSrcinfo: ${fmt(oursCpu)} PKGBUILDs/s per CPU second on one core, ${fmt(ours)}/s wall (${fmt(parsed)} in ${(elapsed / 1000).toFixed(2)} s)`,
);
console.log(
  `makepkg --printsrcinfo:          ${theirs.toFixed(2)} PKGBUILDs/s wall (${picked.length} files, one at a time)`,
);
console.log(`ratio (wall to wall): ${fmt(ours / theirs)}x faster than makepkg`);

const baseline = process.env.BENCH_BASELINE;
if (baseline) {
  const dir = mkdtempSync(join(tmpdir(), 'rbee-bench-parse-'));
  try {
    const tar = execFileSync('git', ['archive', baseline, 'shared/pkgbuild']);
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const old = (await import(
      pathToFileURL(join(dir, 'shared/pkgbuild/index.ts')).href
    )) as typeof import('../shared/pkgbuild/index.ts');
    // This tree's parser is timed from a fresh copy too, loaded the same way: the module above
    // has run the whole timing loop already, and that warm-up alone made an unchanged tree look
    // 1.1x faster than its own baseline.
    cpSync('shared/pkgbuild', join(dir, 'current/shared/pkgbuild'), { recursive: true });
    writeFileSync(join(dir, 'current/package.json'), '{"type":"module"}');
    const current = (await import(
      pathToFileURL(join(dir, 'current/shared/pkgbuild/index.ts')).href
    )) as typeof import('../shared/pkgbuild/index.ts');
    // Fixtures added since the baseline may be refused by it: both sides time the ones it reads.
    const common = texts.filter((text) => {
      try {
        old.parsePkgbuild(text, { carch });
        return true;
      } catch {
        return false;
      }
    });
    const run = (p: typeof old) => () => {
      for (const text of common) sink += p.printSrcinfo(p.parsePkgbuild(text, { carch })).length;
    };
    const sides = [
      { name: baseline, once: run(old), parsed: 0, cpu: 0 },
      {
        name: 'this tree',
        once: run(current),
        parsed: 0,
        cpu: 0,
      },
    ];
    for (const side of sides) for (let i = 0; i < 50; i++) side.once();
    const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        while (performance.now() - t0 < 500) {
          side.once();
          side.parsed += common.length;
        }
        const c = process.cpuUsage(c0);
        side.cpu += (c.user + c.system) / 1e6;
      }
    }
    const rate = (side: (typeof sides)[number]) => side.parsed / side.cpu;
    for (const side of sides) {
      console.log(`baseline run, ${side.name}: ${fmt(rate(side))} PKGBUILDs/s per CPU second`);
    }
    console.log(
      `ratio: this tree parses ${(rate(sides[1]!) / rate(sides[0]!)).toFixed(2)}x as many per CPU second as ${baseline} (${rounds} alternating rounds, the ${common.length} PKGBUILDs both read)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (sink === 0) console.log('(no output)');
