import { execFile } from 'node:child_process';
import { lchown, open, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSource, type SourceSpec } from '../../../shared/pkgbuild/source.ts';
import type { BuildContext } from '../build-context.ts';
import { runProcess } from '../process/run-process.ts';
import { gitOutput, SourceError, sourcePath } from './retrieve-sources.ts';

type Extractor = 'bsdtar' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

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
  const link = join(srcdir, file);
  await rm(link, { force: true });
  await symlink(sourcePath(startdir, spec), link);
  if (ctx.user) await lchown(link, ctx.user.uid, ctx.user.gid);
  if (noextract.includes(file)) return `${file}: linked (noextract)`;
  const extractor = await pickExtractor(ctx, link, file, srcdir);
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

/**
 * makepkg's choice of extractor, which does not trust the extension: it asks
 * `file -S -bizL` for the MIME type (looking inside compressed files) and matches it as
 * extract_file does. Where `file` is missing, the magic bytes stand in for it.
 */
async function pickExtractor(
  ctx: BuildContext,
  path: string,
  file: string,
  srcdir: string,
): Promise<Extractor | undefined> {
  const mime = (await fileMime(ctx, file, srcdir)) ?? (await sniffMime(ctx, path, file, srcdir));
  const ext = file.slice(file.lastIndexOf('.') + 1);
  const has = (...types: string[]) => types.some((t) => mime.includes(t));
  if (has('application/x-tar', 'application/zip', 'application/x-zip', 'application/x-cpio')) {
    return 'bsdtar';
  }
  if (has('application/x-gzip', 'application/gzip')) {
    return ['gz', 'z', 'Z'].includes(ext) ? 'gzip' : undefined;
  }
  if (has('application/x-bzip')) return ['bz2', 'bz'].includes(ext) ? 'bzip2' : undefined;
  if (has('application/x-xz')) return ext === 'xz' ? 'xz' : undefined;
  if (has('application/zstd')) return ext === 'zst' ? 'zstd' : undefined;
  // See if bsdtar can recognize the file.
  return (await bsdtarCanList(ctx, file, srcdir)) ? 'bsdtar' : undefined;
}

/** `file -S -bizL -- FILE`, or undefined when `file` is not installed. */
function fileMime(ctx: BuildContext, file: string, cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'file',
      ['-S', '-bizL', '--', file],
      { cwd, env: ctx.env, ...(ctx.user ? { uid: ctx.user.uid, gid: ctx.user.gid } : {}) },
      (error, stdout) => resolve(error ? undefined : stdout.trim()),
    );
  });
}

/** A stand-in for `file -z`: archives by magic, compressed files by what bsdtar can list. */
async function sniffMime(
  ctx: BuildContext,
  path: string,
  file: string,
  srcdir: string,
): Promise<string> {
  const head = await readHead(path);
  if (isTar(head)) return 'application/x-tar';
  if (isZip(head)) return 'application/zip';
  if (isCpio(head)) return 'application/x-cpio';
  const compression = compressionOf(head);
  if (compression === undefined) return 'application/octet-stream';
  const inner = (await bsdtarCanList(ctx, file, srcdir)) ? 'application/x-tar' : 'text/plain';
  const encoding = {
    gzip: 'application/gzip',
    bzip2: 'application/x-bzip2',
    xz: 'application/x-xz',
    zstd: 'application/zstd',
    bsdtar: '',
  }[compression];
  return `${inner} compressed-encoding=${encoding}`;
}

async function readHead(path: string): Promise<Buffer> {
  const info = await stat(path);
  if (!info.isFile()) return Buffer.alloc(0);
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buf, 0, 512, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const startsWith = (head: Buffer, bytes: number[]) => bytes.every((b, i) => head[i] === b);
const isTar = (head: Buffer) => head.toString('latin1', 257, 262) === 'ustar';
const isZip = (head: Buffer) =>
  startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]);
const isCpio = (head: Buffer) =>
  ['070701', '070702', '070707'].includes(head.toString('latin1', 0, 6)) ||
  startsWith(head, [0xc7, 0x71]) ||
  startsWith(head, [0x71, 0xc7]);

function compressionOf(head: Buffer): Extractor | undefined {
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  return undefined;
}

function bsdtarCanList(ctx: BuildContext, file: string, cwd: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'bsdtar',
      ['-tf', file, '-q', '*'],
      { cwd, env: ctx.env, ...(ctx.user ? { uid: ctx.user.uid, gid: ctx.user.gid } : {}) },
      (error) => resolve(error === null),
    );
  });
}

/** makepkg's extract_git: a shared clone of the mirror, checked out at the fragment's ref. */
async function extractGit(
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
    const tagname = await gitOutput(ctx, work, ['tag', '-l', '--format=%(tag)', ref]);
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
