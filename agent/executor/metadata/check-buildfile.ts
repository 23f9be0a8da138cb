import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailure } from '../errors/step-failure.ts';

/** makepkg's checks before sourcing: the file exists and has no CRLF line ends. */
export async function checkBuildfile(startdir: string): Promise<void> {
  const text = await readFile(join(startdir, 'PKGBUILD'), 'utf8').catch(() => undefined);
  if (text === undefined) throw new StepFailure('metadata', 'PKGBUILD does not exist.');
  if (text.includes('\r')) {
    throw new StepFailure('metadata', 'PKGBUILD contains CRLF characters and cannot be sourced.');
  }
}
