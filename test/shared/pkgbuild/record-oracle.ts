/**
 * `npm run oracle:record`: runs the real `makepkg --printsrcinfo` on every case of the oracle
 * suite and stores its answer beside the fixture. `--check` writes nothing and fails on any stored
 * answer that makepkg no longer gives (what `npm run test:oracle` also checks).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { limiter, makepkgPrintsrcinfo } from './makepkg-oracle.ts';
import { oracleCases, serializeExpected } from './oracle-cases.ts';

const check = process.argv.includes('--check');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const cases = oracleCases().filter((c) => only.length === 0 || only.includes(c.name));
const slot = limiter(2);
let stale = 0;
let written = 0;

await Promise.all(
  cases.map((c) =>
    slot(async () => {
      const text = serializeExpected(await makepkgPrintsrcinfo(c.dir));
      let stored: string | null = null;
      try {
        stored = readFileSync(c.expectedFile, 'utf8');
      } catch {}
      if (stored === text) return;
      if (check) {
        stale++;
        console.error(`stale: ${c.expectedFile} is not what makepkg answers for ${c.dir}`);
        return;
      }
      mkdirSync(dirname(c.expectedFile), { recursive: true });
      writeFileSync(c.expectedFile, text);
      written++;
      console.log(`wrote ${c.expectedFile}`);
    }),
  ),
);

console.log(
  check
    ? `${cases.length} stored answers checked against makepkg, ${stale} stale`
    : `${cases.length} cases run through makepkg, ${written} answers written`,
);
if (stale > 0) process.exitCode = 1;
