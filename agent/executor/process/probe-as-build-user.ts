import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type ProbeOptions, type ProbeResult, probe } from '../../probe/probe.ts';
import type { BuildContext } from '../build-context.ts';

/**
 * Runs a short query of a build (`file -z`, `bsdtar -t`, `git tag -l`) through the probe, as
 * the build user (in the sandbox when there is one) with the build's environment; stopping
 * the build ends it.
 */
export function probeAsBuildUser(
  ctx: BuildContext,
  file: string,
  args: readonly string[],
  cwd: string,
  limits: Pick<ProbeOptions, 'timeoutMs' | 'maxBuffer'> = {},
): Promise<ProbeResult> {
  // A program that is not installed stays ENOENT (commandMissing), not a sandbox exit code;
  // nothing runs then, so it needs no sandbox.
  const run = onPath(file, ctx.env.PATH)
    ? ctx.command(file, [...args], cwd)
    : { file, args: [...args], cwd, user: ctx.user };
  return probe(run.file, run.args, {
    ...limits,
    cwd: run.cwd,
    env: ctx.env,
    signal: ctx.signal,
    graceMs: ctx.graceMs,
    ...(run.user ? { user: run.user } : {}),
  });
}

function onPath(file: string, path: string | undefined): boolean {
  const dirs = file.includes('/') ? [''] : (path ?? '').split(delimiter).filter(Boolean);
  return dirs.some((dir) => {
    try {
      accessSync(dir ? join(dir, file) : file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
