import { createWriteStream } from 'node:fs';
import { copyFile, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import type { BuildContext } from '../build-context.ts';
import { handOver } from './hand-over.ts';
import { SourceError } from './source-error.ts';

/** Fetches a URL to `<path>.part`, then renames it, as makepkg's download_file does. */
export async function download(ctx: BuildContext, url: string, path: string): Promise<void> {
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
export async function copyIn(ctx: BuildContext, url: string, path: string): Promise<void> {
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
