import { readdir } from 'node:fs/promises';
import type { SourceSpec } from '../../../shared/pkgbuild/source.ts';
import { failureSummary } from '../../probe/probe.ts';
import type { BuildContext } from '../build-context.ts';
import { probeAsBuildUser } from '../process/probe-as-build-user.ts';
import { runProcess } from '../process/run-process.ts';
import { SourceError } from './source-error.ts';

/**
 * makepkg's download_git: a bare mirror (`git clone --mirror`) in startdir, fetched again
 * when it is already there and points at the same URL.
 */
export async function mirrorGit(
  ctx: BuildContext,
  spec: SourceSpec,
  dir: string,
  startdir: string,
): Promise<string> {
  let url = spec.url.startsWith('git+') ? spec.url.slice(4) : spec.url;
  url = url.split('#')[0]!.split('?')[0]!;
  const present = await readdir(dir).then(
    (names) => names.length > 0,
    () => false,
  );
  if (!present) {
    const run = await runProcess(ctx, 'git', ['clone', '--mirror', url, dir], { cwd: startdir });
    if (run.exitCode !== 0) {
      throw new SourceError(`Failure while downloading ${spec.filename} git repo`);
    }
    return `${spec.filename}: cloned from ${url}`;
  }
  const origin = await originUrl(ctx, dir);
  if (origin !== url) throw new SourceError(`${dir} is not a clone of ${url}`);
  const run = await runProcess(ctx, 'git', ['fetch', '--all', '-p'], { cwd: dir });
  // makepkg only warns here, to allow offline builds.
  return run.exitCode === 0
    ? `${spec.filename}: updated from ${url}`
    : `${spec.filename}: update from ${url} failed, using the mirror as it is`;
}

/** The mirror's origin URL; undefined when it has none (`git config --get` exits 1). */
async function originUrl(ctx: BuildContext, dir: string): Promise<string | undefined> {
  const res = await probeAsBuildUser(ctx, 'git', ['config', '--get', 'remote.origin.url'], dir);
  if (res.exitCode === 1) return undefined;
  if (res.failed) {
    throw new SourceError(`Cannot read the origin of ${dir}: ${failureSummary(res)}`);
  }
  return res.stdout.trim();
}
