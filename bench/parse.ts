/**
 * `npm run bench:parse`: how many PKGBUILDs per second the static parser turns into .SRCINFO on
 * one core, next to `makepkg --printsrcinfo` on a sample of the same files, in the same run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
let elapsed = 0;
while (elapsed < SECONDS * 1000) {
  once();
  parsed += texts.length;
  elapsed = performance.now() - start;
}
const ours = parsed / (elapsed / 1000);

const sample = dirs.filter((_, i) => i % Math.max(1, Math.floor(dirs.length / SAMPLE)) === 0);
const picked = sample.slice(0, SAMPLE);
const mStart = performance.now();
for (const dir of picked) {
  const r = await makepkgPrintsrcinfo(dir);
  if (r.exitCode !== 0) throw new Error(`makepkg failed on ${dir}: ${r.stderr}`);
}
const theirs = picked.length / ((performance.now() - mStart) / 1000);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `corpus: ${texts.length} PKGBUILDs (${fmt(bytes / texts.length)} bytes average), CARCH=${carch}`,
);
console.log(
  `rbee parsePkgbuild+printSrcinfo: ${fmt(ours)} PKGBUILDs/s on one core (${fmt(parsed)} in ${(elapsed / 1000).toFixed(2)} s)`,
);
console.log(
  `makepkg --printsrcinfo:          ${(theirs).toFixed(2)} PKGBUILDs/s (${picked.length} files, sequential)`,
);
console.log(`ratio: ${fmt(ours / theirs)}x faster than makepkg`);
if (sink === 0) console.log('(no output)');
