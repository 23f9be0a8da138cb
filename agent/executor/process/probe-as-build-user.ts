import { type ProbeOptions, type ProbeResult, probe } from '../../probe/probe.ts';
import type { BuildContext } from '../build-context.ts';

/**
 * Runs a short query of a build (`file -z`, `bsdtar -t`, `git tag -l`) through the probe, as
 * the build user with the build's environment; stopping the build ends it.
 */
export function probeAsBuildUser(
  ctx: BuildContext,
  file: string,
  args: readonly string[],
  cwd: string,
  limits: Pick<ProbeOptions, 'timeoutMs' | 'maxBuffer'> = {},
): Promise<ProbeResult> {
  return probe(file, args, {
    ...limits,
    cwd,
    env: ctx.env,
    signal: ctx.signal,
    graceMs: ctx.graceMs,
    ...(ctx.user ? { user: ctx.user } : {}),
  });
}
