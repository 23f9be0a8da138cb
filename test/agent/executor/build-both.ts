import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildEvent, BuildOptions, BuildResult } from '../../../agent/executor/index.ts';
import { runBuild } from '../../../agent/executor/index.ts';
import type { FixtureWorld } from './fixture-env.ts';
import { runMakepkg } from './run-makepkg.ts';
import { snapshotTree, type TreeEntry } from './tree-snapshot.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/build/', import.meta.url));
/** makepkg's result for each fixture, written only by `npm run oracle:record`. */
export const REFERENCES = fileURLToPath(new URL('../../fixtures/build-expected/', import.meta.url));

/**
 * What `makepkg --noarchive --nodeps -f` leaves for a fixture: its exit code, the pkg/ tree (or
 * none), and the names in the fixture's folder after the build.
 */
export type Reference = {
  exitCode: number | null;
  pkg: Record<string, TreeEntry> | null;
  startdir: string[];
};

export type BothRuns = {
  /** The executor's copy of the fixture. */
  rbeeDir: string;
  /** makepkg's result: from a live makepkg run in this test, or as stored. */
  reference: Reference;
  /** True when makepkg ran in this test (its output is in `makepkgOutput`). */
  live: boolean;
  makepkgOutput?: string;
  result?: BuildResult;
  error?: unknown;
  events: BuildEvent[];
};

export { limiter } from '../../support/limiter.ts';

/** A copy of a fixture owned by nobody, the user both makepkg and the executor build as. */
export function copyFixture(world: FixtureWorld, name: string, as: string): string {
  const dir = join(world.base, as);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  execFileSync('chown', ['-R', '65534:65534', dir]);
  return dir;
}

export function homeFor(world: FixtureWorld, as: string): string {
  const home = join(world.base, `${as}-home`);
  mkdirSync(home);
  execFileSync('chown', ['65534:65534', home]);
  return home;
}

/** Builds a fixture with the real makepkg in its own copy and reads what it left. */
export async function makepkgReference(
  world: FixtureWorld,
  name: string,
  as = `${name}-makepkg`,
): Promise<{ reference: Reference; output: string }> {
  const dir = copyFixture(world, name, as);
  const run = await runMakepkg(dir, homeFor(world, as), world.env);
  const pkg = join(dir, 'pkg');
  const reference = {
    exitCode: run.exitCode,
    pkg: existsSync(pkg) ? snapshotTree(pkg) : null,
    startdir: readdirSync(dir).sort(),
  };
  return { reference, output: run.output };
}

export function storedReference(name: string): Reference {
  const file = join(REFERENCES, `${name}.json`);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run npm run oracle:record (it runs makepkg)`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Reference;
}

/**
 * Builds one fixture with the executor and holds it to makepkg's result: a live makepkg run
 * beside it when `live`, else makepkg's stored result.
 */
export async function buildBoth(
  world: FixtureWorld,
  name: string,
  options: BuildOptions & { live?: boolean } = {},
): Promise<BothRuns> {
  const { live = false, ...buildOptions } = options;
  const rbeeDir = copyFixture(world, name, `${name}-rbee`);
  const events: BuildEvent[] = [];
  let runs: BothRuns;
  if (live) {
    const { reference, output } = await makepkgReference(world, name);
    runs = { rbeeDir, reference, live, makepkgOutput: output, events };
  } else {
    runs = { rbeeDir, reference: storedReference(name), live, events };
  }
  try {
    runs.result = await runBuild(rbeeDir, {
      env: { ...process.env, ...world.env },
      onEvent: (event) => {
        events.push(event);
      },
      graceMs: 500,
      // The fixture world (git repo, file:// source) lives beside the copies, under /tmp.
      sandbox: { readOnlyPaths: [world.base] },
      ...buildOptions,
    });
  } catch (error) {
    runs.error = error;
  }
  return runs;
}
