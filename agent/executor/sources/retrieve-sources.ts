import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chown, copyFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { parseSource, type SourceSpec } from '../../../shared/pkgbuild/source.ts';
import type { BuildContext } from '../build-context.ts';
import { runProcess } from '../process/run-process.ts';

/** A source that could not be retrieved; the message is makepkg's. */
export class SourceError extends Error {
  override name = 'SourceError';
}

/**
 * makepkg's get_filepath with SRCDEST = startdir (its default): where a source lives once
 * retrieved. VCS sources are directories (a bare mirror for git), the rest are files.
 */
export function sourcePath(startdir: string, spec: SourceSpec): string {
  return join(startdir, spec.filename);
}

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
    if (await isFile(path)) {
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

/** Fetches a URL to `<path>.part`, then renames it, as makepkg's download_file does. */
async function download(ctx: BuildContext, url: string, path: string): Promise<void> {
  const part = `${path}.part`;
  try {
    const response = await fetch(url, { signal: ctx.signal, redirect: 'follow' });
    if (!response.ok || response.body === null) {
      throw new SourceError(`Failure while downloading ${url}: HTTP ${response.status}`);
    }
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      createWriteStream(part, { mode: 0o644 }),
      { signal: ctx.signal },
    );
    await handOver(ctx, part);
    await rename(part, path);
  } catch (error) {
    await rm(part, { force: true });
    if (error instanceof SourceError) throw error;
    throw new SourceError(`Failure while downloading ${url}: ${(error as Error).message}`);
  }
}

/** A `file://` source: copied through `.part` like a download. */
async function copyIn(ctx: BuildContext, url: string, path: string): Promise<void> {
  const part = `${path}.part`;
  try {
    await copyFile(fileURLToPath(url), part);
    await handOver(ctx, part);
    await rename(part, path);
  } catch (error) {
    await rm(part, { force: true });
    throw new SourceError(`Failure while downloading ${url}: ${(error as Error).message}`);
  }
}

/**
 * makepkg's download_git: a bare mirror (`git clone --mirror`) in startdir, fetched again
 * when it is already there and points at the same URL.
 */
async function mirrorGit(
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
  const origin = await gitOutput(ctx, dir, ['config', '--get', 'remote.origin.url']);
  if (origin !== url) throw new SourceError(`${dir} is not a clone of ${url}`);
  const run = await runProcess(ctx, 'git', ['fetch', '--all', '-p'], { cwd: dir });
  // makepkg only warns here, to allow offline builds.
  return run.exitCode === 0
    ? `${spec.filename}: updated from ${url}`
    : `${spec.filename}: update from ${url} failed, using the mirror as it is`;
}

/** Runs a git query as the build user and returns its output, trimmed. */
export function gitOutput(ctx: BuildContext, cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, env: ctx.env, ...(ctx.user ? { uid: ctx.user.uid, gid: ctx.user.gid } : {}) },
      (error, stdout) => resolve(error ? '' : stdout.trim()),
    );
  });
}

/** Files the executor writes itself belong to the build user, like the rest of the tree. */
export async function handOver(ctx: BuildContext, path: string): Promise<void> {
  if (ctx.user) await chown(path, ctx.user.uid, ctx.user.gid);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}
