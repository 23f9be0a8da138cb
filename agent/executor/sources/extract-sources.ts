import { lchown, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSource, type SourceSpec } from '../../../shared/pkgbuild/source.ts';
import type { BuildContext } from '../build-context.ts';
import { runProcess } from '../process/run-process.ts';
import { extractGit } from './extract-git.ts';
import { pickExtractor } from './pick-extractor.ts';
import { SourceError } from './source-error.ts';
import { sourcePath } from './source-path.ts';

/**
 * makepkg's extract_sources: each source is symlinked into srcdir, then archives are unpacked
 * there with bsdtar and single compressed files decompressed beside their link, unless listed
 * in `noextract`; git sources become a working copy of their mirror. Everything runs as the
 * build user. Returns one note per source for the step event.
 */
export async function extractSources(
  ctx: BuildContext,
  entries: string[],
  noextract: string[],
  startdir: string,
  srcdir: string,
): Promise<string[]> {
  const notes: string[] = [];
  for (const entry of entries) {
    const spec = parseSource(entry);
    if (spec.protocol === 'git') notes.push(await extractGit(ctx, spec, startdir, srcdir));
    else notes.push(await extractFile(ctx, spec, noextract, startdir, srcdir));
  }
  return notes;
}

async function extractFile(
  ctx: BuildContext,
  spec: SourceSpec,
  noextract: string[],
  startdir: string,
  srcdir: string,
): Promise<string> {
  const file = spec.filename;
  const target = sourcePath(startdir, spec);
  const link = join(srcdir, file);
  // srcdir was checked to be a real folder; rm and symlink act on the name, not a link's target.
  await rm(link, { force: true });
  await symlink(target, link);
  if (ctx.user) await lchown(link, ctx.user.uid, ctx.user.gid);
  if (noextract.includes(file)) return `${file}: linked (noextract)`;
  const extractor = await pickExtractor(ctx, target, file, srcdir);
  if (extractor === undefined) return `${file}: linked`;
  let run: Awaited<ReturnType<typeof runProcess>>;
  if (extractor === 'bsdtar') {
    run = await runProcess(ctx, 'bsdtar', ['-xf', file], { cwd: srcdir });
  } else {
    const out = file.slice(0, file.lastIndexOf('.'));
    // As makepkg: rm -f -- "${file%.*}"; $cmd -dcf -- "$file" > "${file%.*}"
    run = await runProcess(
      ctx,
      'bash',
      ['-c', 'rm -f -- "$3" && "$1" -dcf -- "$2" > "$3"', 'rbee-extract', extractor, file, out],
      { cwd: srcdir },
    );
  }
  if (ctx.stopped) return `${file}: stopped`;
  if (run.exitCode !== 0) throw new SourceError(`Failed to extract ${file}`);
  return `${file}: extracted with ${extractor}`;
}
