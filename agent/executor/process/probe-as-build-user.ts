import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type ProbeOptions, type ProbeResult, probe } from '../../probe/probe.ts';
import type { BuildContext } from '../build-context.ts';

/**
 * Runs a short query of a build (`file -z`, `bsdtar -t`, `git tag -l`) through the probe, as
 * the build user (in the sandbox when there is one) with the build's environment; stopping
 * the build ends it.
 */
export async function probeAsBuildUser(
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
  const res = await probe(run.file, run.args, {
    ...limits,
    cwd: run.cwd,
    env: ctx.env,
    signal: ctx.signal,
    graceMs: ctx.graceMs,
    ...(run.user ? { user: run.user } : {}),
  });
  return run.file === file ? res : unwrap(res, [run.file, ...run.args.slice(0, -args.length - 1)]);
}

/** The result as if the command had run bare: errors name `git config …`, not the sandbox. */
function unwrap(res: ProbeResult, prefix: string[]): ProbeResult {
  const raw = `${prefix.join(' ')} `;
  const escaped = `${prefix.map(quote).join(' ')} `;
  const cut = (text: string, head: string) => text.replace(head, '');
  return {
    ...res,
    command: cut(res.command, raw),
    escapedCommand: cut(res.escapedCommand, escaped),
    ...(typeof res.shortMessage === 'string'
      ? { shortMessage: cut(res.shortMessage, escaped), message: cut(res.message ?? '', escaped) }
      : {}),
  } as ProbeResult;
}

/** execa's quoting of one argument in `escapedCommand` (POSIX single quotes). */
function quote(arg: string): string {
  return /^[\w./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
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
