import { lstat } from 'node:fs/promises';
import { parseSource } from '../../../shared/pkgbuild/source.ts';
import type { BuildContext } from '../build-context.ts';
import { probeAsBuildUser } from '../process/probe-as-build-user.ts';
import { copyIn, download } from './download.ts';
import { mirrorGit } from './mirror-git.ts';
import { SourceError } from './source-error.ts';
import { sourcePath } from './source-path.ts';

/**
 * makepkg's download_sources for the build's CARCH, into startdir as makepkg does with its
 * default SRCDEST. A file already there is used as it is ("Found"). Local files missing
 * beside the PKGBUILD are fetched from `sourceBase` when given (the catalog's
 * `/workers/:id/files/`). Returns one note per source for the step event.
 */
export async function retrieveSources(
  ctx: BuildContext,
  entries: string[],
  startdir: string,
  sourceBase: string | undefined,
): Promise<string[]> {
  const notes: string[] = [];
  for (const entry of entries) {
    const spec = parseSource(entry);
    const path = sourcePath(startdir, spec);
    if (spec.protocol === 'git') {
      notes.push(await mirrorGit(ctx, spec, path, startdir));
      continue;
    }
    if (spec.isVcs) throw new SourceError(`${spec.protocol} sources are not supported: ${entry}`);
    if (await isFile(ctx, path, startdir)) {
      notes.push(`${spec.filename}: found`);
      continue;
    }
    if (spec.protocol === 'local') {
      if (sourceBase === undefined) {
        throw new SourceError(
          `${spec.filename} was not found in the build directory and is not a URL.`,
        );
      }
      const url = new URL(encodeURIComponent(spec.filename), withSlash(sourceBase)).href;
      await download(ctx, url, path);
      notes.push(`${spec.filename}: downloaded from ${url}`);
    } else if (spec.protocol === 'http' || spec.protocol === 'https') {
      await download(ctx, spec.url, path);
      notes.push(`${spec.filename}: downloaded from ${spec.url}`);
    } else if (spec.protocol === 'file') {
      await copyIn(ctx, spec.url, path);
      notes.push(`${spec.filename}: copied from ${spec.url}`);
    } else {
      throw new SourceError(`Unknown download protocol: ${spec.protocol}`);
    }
  }
  return notes;
}

/** makepkg's `[[ -f $file ]]`; a link is followed by the build user, never by root. */
async function isFile(ctx: BuildContext, path: string, startdir: string): Promise<boolean> {
  const found = await lstat(path).catch(() => undefined);
  if (found === undefined) return false;
  if (!found.isSymbolicLink()) return found.isFile();
  return (await probeAsBuildUser(ctx, 'test', ['-f', path], startdir)).exitCode === 0;
}

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}
