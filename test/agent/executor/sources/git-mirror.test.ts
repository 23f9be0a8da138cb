import { execFileSync } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BuildError, runBuild } from '../../../../agent/executor/index.ts';
import { scratchPkgbuild } from '../scratch-build.ts';

const URL_OF_SOURCE = 'file:///nonexistent/rbee-upstream.git';
const PKGBUILD = `source=('repo::git+${URL_OF_SOURCE}')\nsha256sums=('SKIP')\npackage() { :; }`;

/** A scratch PKGBUILD whose git source already has a bare mirror in startdir. */
function withMirror(config: string | undefined): { dir: string; mirror: string } {
  const dir = scratchPkgbuild(PKGBUILD);
  const mirror = join(realpathSync(dir), 'repo');
  execFileSync('git', ['init', '-q', '--bare', mirror]);
  if (config !== undefined) writeFileSync(join(mirror, 'config'), config);
  execFileSync('chown', ['-R', '65534:65534', mirror]);
  return { dir, mirror };
}

async function failure(promise: Promise<unknown>): Promise<BuildError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BuildError);
  return error as BuildError;
}

describe('an existing git mirror is checked before it is fetched', () => {
  test('a mirror without an origin is not a clone of the source (git config exits 1)', async () => {
    const { dir, mirror } = withMirror(undefined);
    const error = await failure(runBuild(dir));
    expect(error.step).toBe('sources');
    expect(error.shortMessage).toBe(`${mirror} is not a clone of ${URL_OF_SOURCE}`);
  });

  test('a mirror whose config git cannot read fails with the command, exit code and stderr', async () => {
    const { dir, mirror } = withMirror('[[[not a config\n');
    const error = await failure(runBuild(dir));
    expect(error.step).toBe('sources');
    expect(error.shortMessage).toBe(
      `Cannot read the origin of ${mirror}: Command failed with exit code 128: ` +
        'git config --get remote.origin.url: fatal: bad config line 1 in file ./config',
    );
  });
});
