import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildEvent, BuildOptions, BuildResult } from '../../../agent/executor/index.ts';
import { runBuild } from '../../../agent/executor/index.ts';
import type { FixtureWorld } from './fixture-env.ts';
import { type MakepkgRun, runMakepkg } from './run-makepkg.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/build/', import.meta.url));

export type BothRuns = {
  /** The makepkg copy of the fixture and the executor's. */
  makepkgDir: string;
  rbeeDir: string;
  makepkg: MakepkgRun;
  result?: BuildResult;
  error?: unknown;
  events: BuildEvent[];
};

/** Runs at most `n` jobs at once: each makepkg run is ~1 s of CPU on a 2-core machine. */
export function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

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

/** Builds one fixture with makepkg, then with the executor, each in its own copy. */
export async function buildBoth(
  world: FixtureWorld,
  name: string,
  options: BuildOptions = {},
): Promise<BothRuns> {
  const makepkgDir = copyFixture(world, name, `${name}-makepkg`);
  const rbeeDir = copyFixture(world, name, `${name}-rbee`);
  const makepkg = await runMakepkg(makepkgDir, homeFor(world, `${name}-makepkg`), world.env);
  const events: BuildEvent[] = [];
  const runs: BothRuns = { makepkgDir, rbeeDir, makepkg, events };
  try {
    runs.result = await runBuild(rbeeDir, {
      env: { ...process.env, ...world.env },
      onEvent: (event) => {
        events.push(event);
      },
      graceMs: 500,
      // The fixture world (git repo, file:// source) lives beside the copies, under /tmp.
      sandbox: { readOnlyPaths: [world.base] },
      ...options,
    });
  } catch (error) {
    runs.error = error;
  }
  return runs;
}
