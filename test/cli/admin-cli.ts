import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCli } from '../../scripts/build-cli.ts';
import { tempDir } from '../support/edge-process.ts';

export type CliResult = { code: number | null; stdout: string; stderr: string };

/**
 * Bundles the CLI (scripts/build-cli.ts) and copies it alone into an empty folder, so every run
 * proves it works outside the repository with plain `node`.
 */
export async function bundledCli(): Promise<string> {
  const built = join(tempDir('cli-build'), 'rbee.mjs');
  await buildCli(built);
  const alone = join(tempDir('cli-alone'), 'rbee.mjs');
  copyFileSync(built, alone);
  return alone;
}

/** Runs `node rbee.mjs ...args` from the bundle's own folder; `onOutput` sees stdout as it comes. */
export function runCli(
  bundle: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onOutput?: (stdout: string) => void,
): Promise<CliResult> {
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: join(bundle, '..'),
    env: { PATH: process.env.PATH, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    onOutput?.(stdout);
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves once `check` is true, asking again every 100 ms; fails after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
