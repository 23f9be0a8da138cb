import { commandMissing, failureSummary } from '../../probe/probe.ts';
import type { BuildContext } from '../build-context.ts';
import { probeAsBuildUser } from '../process/probe-as-build-user.ts';
import { openPlainFile } from '../sandbox/no-follow.ts';
import { SourceError } from './source-error.ts';

/** The programs makepkg's extract_file unpacks with. */
export type Extractor = 'bsdtar' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/**
 * makepkg's choice of extractor, which does not trust the extension: it asks
 * `file -S -bizL` for the MIME type (looking inside compressed files) and matches it as
 * extract_file does. Where `file` is missing, the magic bytes stand in for it.
 */
export async function pickExtractor(
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

/**
 * `file -S -bizL -- FILE`, or undefined when `file` is not installed (the magic bytes stand
 * in for it then). A `file` that is there but fails stops the step with its reason.
 */
async function fileMime(ctx: BuildContext, file: string, cwd: string): Promise<string | undefined> {
  const res = await probeAsBuildUser(ctx, 'file', ['-S', '-bizL', '--', file], cwd);
  if (commandMissing(res)) return undefined;
  if (res.failed) throw new SourceError(`Cannot tell the type of ${file}: ${failureSummary(res)}`);
  return res.stdout.trim();
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

/** The first bytes of a plain file; nothing for a link or anything else (no-follow). */
async function readHead(path: string): Promise<Buffer> {
  const handle = await openPlainFile(path);
  if (handle === undefined) return Buffer.alloc(0);
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

/**
 * makepkg's `bsdtar -tf "$file" -q '*'`: any exit code is an answer (0: bsdtar reads it), and
 * no bsdtar means it cannot; a listing that ran to no exit code (timed out) stops the step.
 */
async function bsdtarCanList(ctx: BuildContext, file: string, cwd: string): Promise<boolean> {
  const res = await probeAsBuildUser(ctx, 'bsdtar', ['-tf', file, '-q', '*'], cwd);
  if (res.exitCode !== undefined || commandMissing(res)) return res.exitCode === 0;
  throw new SourceError(`Cannot list ${file} with bsdtar: ${failureSummary(res)}`);
}
