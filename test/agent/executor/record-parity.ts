/**
 * `npm run oracle:record` (second half): builds every fixture under test/fixtures/build with the
 * real makepkg and stores what it left in test/fixtures/build-expected/. `--check` writes nothing
 * and fails on any stored result makepkg no longer gives.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, limiter, makepkgReference, REFERENCES } from './build-both.ts';
import { startFixtureWorld } from './fixture-env.ts';

const check = process.argv.includes('--check');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = readdirSync(FIXTURES)
  .sort()
  .filter((n) => only.length === 0 || only.includes(n));
const world = await startFixtureWorld();
const slot = limiter(2);
let stale = 0;
let written = 0;
try {
  mkdirSync(REFERENCES, { recursive: true });
  await Promise.all(
    names.map((name) =>
      slot(async () => {
        const { reference } = await makepkgReference(world, name);
        const text = `${JSON.stringify(reference, null, 2)}\n`;
        const file = join(REFERENCES, `${name}.json`);
        let stored: string | null = null;
        try {
          stored = readFileSync(file, 'utf8');
        } catch {}
        if (stored === text) return;
        if (check) {
          stale++;
          console.error(`stale: ${file} is not what makepkg leaves for ${name}`);
          return;
        }
        writeFileSync(file, text);
        written++;
        console.log(`wrote ${file}`);
      }),
    ),
  );
} finally {
  await world.close();
  rmSync(world.base, { recursive: true, force: true });
}
console.log(
  check
    ? `${names.length} stored build results checked against makepkg, ${stale} stale`
    : `${names.length} fixtures built with makepkg, ${written} results written`,
);
if (stale > 0) process.exitCode = 1;
