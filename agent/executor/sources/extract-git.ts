import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceSpec } from '../../../shared/pkgbuild/source.ts';
import { failureSummary } from '../../probe/probe.ts';
import type { BuildContext } from '../build-context.ts';
import { probeAsBuildUser } from '../process/probe-as-build-user.ts';
import { runProcess } from '../process/run-process.ts';
import { SourceError } from './source-error.ts';
import { sourcePath } from './source-path.ts';

/** makepkg's extract_git: a shared clone of the mirror, checked out at the fragment's ref. */
export async function extractGit(
  ctx: BuildContext,
  spec: SourceSpec,
  startdir: string,
  srcdir: string,
): Promise<string> {
  const mirror = sourcePath(startdir, spec);
  const name = spec.filename;
  const work = join(srcdir, name);
  const fail = (what: string) => new SourceError(`${what} ${name} git repo`);
  const updating = await stat(work).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (updating) {
    const run = await runProcess(ctx, 'git', ['fetch'], { cwd: work });
    if (run.exitCode !== 0) throw fail('Failure while updating working copy of');
  } else {
    const run = await runProcess(ctx, 'git', ['clone', '-s', mirror, name], { cwd: srcdir });
    if (run.exitCode !== 0) throw fail('Failure while creating working copy of');
  }
  // makepkg reads the fragment with ${fragment%%=*} and ${fragment##*=}.
  const fragment = spec.fragment ?? '';
  const kind = fragment.split('=')[0]!;
  const value = fragment.slice(fragment.lastIndexOf('=') + 1);
  let ref = 'origin/HEAD';
  if (fragment !== '') {
    if (kind === 'commit' || kind === 'tag') ref = value;
    else if (kind === 'branch') ref = `origin/${value}`;
    else throw new SourceError(`Unrecognized reference: ${fragment}`);
  }
  if (kind === 'tag') {
    const res = await probeAsBuildUser(ctx, 'git', ['tag', '-l', '--format=%(tag)', ref], work);
    if (res.failed) {
      throw new SourceError(`Failure while checking out version ${ref}: ${failureSummary(res)}`);
    }
    const tagname = res.stdout.trim();
    if (tagname !== '' && tagname !== ref) {
      throw new SourceError(
        `Failure while checking out version ${ref}, the git tag has been forged`,
      );
    }
  }
  if (ref !== 'origin/HEAD' || updating) {
    const args = ['checkout', '--force', '--no-track', '-B', 'makepkg', ref, '--'];
    const run = await runProcess(ctx, 'git', args, { cwd: work });
    if (run.exitCode !== 0) throw fail('Failure while creating working copy of');
  }
  return `${name}: working copy at ${ref}`;
}
