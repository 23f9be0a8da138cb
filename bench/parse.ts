/**
 * `npm run bench:parse`: how many PKGBUILDs per second the static parser turns into .SRCINFO on
 * one core, next to `makepkg --printsrcinfo` on a sample of the same files, in the same run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
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
if (sink === 0) console.log('(no output)');
