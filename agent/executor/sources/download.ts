import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import type { BuildContext } from '../build-context.ts';
import { runProcess } from '../process/run-process.ts';
import { createBuildFile, NO_FOLLOW_RULE } from '../sandbox/no-follow.ts';
import { SourceError } from './source-error.ts';

/**
 * Fetches a URL to `<path>.part`, then renames it, as makepkg's download_file does. The agent
 * fetches; the part file is created afresh without following a link (`O_EXCL`), so a
 * `<file>.part` link left by the build cannot steer root's write.
 */
export async function download(ctx: BuildContext, url: string, path: string): Promise<void> {
  const part = `${path}.part`;
  try {
    const response = await fetch(url, { signal: ctx.signal, redirect: 'follow' });
    if (!response.ok || response.body === null) {
      throw new SourceError(`Failure while downloading ${url}: HTTP ${response.status}`);
    }
    const handle = await createBuildFile(part, ctx.user);
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      handle.createWriteStream(),
      { signal: ctx.signal },
    );
    await rename(part, path);
  } catch (error) {
    await rm(part, { force: true });
    if (error instanceof SourceError) throw error;
    throw new SourceError(`Failure while downloading ${url}: ${(error as Error).message}`);
  }
}

/**
 * A `file://` source: copied through `.part` like a download, read and written by the build
 * user (in the sandbox), so a file that user cannot read fails the build as under makepkg.
 */
export async function copyIn(ctx: BuildContext, url: string, path: string): Promise<void> {
  let from: string;
  try {
    from = fileURLToPath(url);
  } catch (error) {
    throw new SourceError(`Failure while downloading ${url}: ${(error as Error).message}`);
  }
  const run = await runProcess(
    ctx,
    'bash',
    [
      '-c',
      'rm -f -- "$2" && cat -- "$1" > "$2" && mv -f -- "$2" "$3" || { s=$?; rm -f -- "$2"; exit "$s"; }',
      'rbee-copy',
      from,
      `${path}.part`,
      path,
    ],
    { cwd: '/' },
  );
  if (ctx.stopped) return;
  if (run.exitCode !== 0) {
    throw new SourceError(
      `Failure while downloading ${url}: the build user cannot read ${from} (file:// sources are read as the build user; rule: ${NO_FOLLOW_RULE})`,
    );
  }
}
