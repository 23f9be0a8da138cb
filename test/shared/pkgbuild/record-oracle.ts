/**
 * `npm run oracle:record`: runs the real `makepkg --printsrcinfo` on every case of the oracle
 * suite and of the real-world corpus (test/fixtures/corpus) and stores its answer beside the
 * fixture. `--check` writes nothing and fails on any stored answer that makepkg no longer gives
 * (what `npm run test:oracle` also checks). `--missing` runs only the cases without a stored
 * answer (a corpus that just grew); names given run only those cases (`svntogit-community/just`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { corpusCases, namedFiles } from './corpus-cases.ts';
import { limiter, makepkgCarch, makepkgPrintsrcinfo } from './makepkg-oracle.ts';
import { oracleCases, serializeExpected } from './oracle-cases.ts';

const check = process.argv.includes('--check');
const missing = process.argv.includes('--missing');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const carch = await makepkgCarch();
// Names given run in the order given (a long recording then covers a sample in draw order).
const cases = [...oracleCases(), ...corpusCases()]
  .filter((c) => only.length === 0 || only.includes(c.name))
  .filter((c) => !missing || !existsSync(c.expectedFile))
  .sort((a, b) => (only.length === 0 ? 0 : only.indexOf(a.name) - only.indexOf(b.name)));

// A corpus PKGBUILD comes bare: the install/changelog files it names are kept as empty files
// beside it, or makepkg's lint would fail on the missing file alone.
for (const c of cases) {
  if (c.kind !== 'corpus') continue;
  for (const f of namedFiles(readFileSync(join(c.dir, 'PKGBUILD'), 'utf8'), carch)) {
    const path = join(c.dir, f);
    if (!existsSync(path)) {
      if (check) console.error(`missing: ${path} (npm run oracle:record writes it)`);
      else writeFileSync(path, '');
    }
  }
}
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
