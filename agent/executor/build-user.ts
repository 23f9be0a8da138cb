import { chmod, chown, mkdir } from 'node:fs/promises';
import { failureSummary, probe } from '../probe/probe.ts';
import type { BuildUser } from './build-context.ts';
import { BUILD_DEFAULTS, type BuildOptions } from './build-options.ts';
import { StepFailure } from './errors/step-failure.ts';

/** Root never runs PKGBUILD code: pick the unprivileged user (undefined when not root). */
export function buildUser(options: BuildOptions): BuildUser | undefined {
  const uid = process.getuid?.();
  if (uid !== 0) {
    if (options.buildUser && options.buildUser.uid !== uid) {
      throw new Error('buildUser can only be set when the agent runs as root');
    }
    return undefined;
  }
  const user = options.buildUser ?? BUILD_DEFAULTS.buildUser;
  if (user.uid === 0 || user.gid === 0) throw new Error('buildUser must not be root');
  return user;
}

/** Gives the work tree (startdir), the driver and HOME to the build user. */
export async function handOverTree(
  startdir: string,
  workdir: string,
  home: string,
  ownHome: boolean,
  user: BuildUser,
  signal: AbortSignal,
): Promise<void> {
  await chmod(workdir, 0o755);
  if (ownHome) {
    await mkdir(home, { mode: 0o700 });
    await chown(home, user.uid, user.gid);
  }
  // As the agent (root), bounded by the build's stop switch rather than a probe timeout: a
  // startdir left by an earlier build can be large.
  const res = await probe('chown', ['-R', `${user.uid}:${user.gid}`, startdir], {
    timeoutMs: 0,
    signal,
  });
  if (res.failed) {
    throw new StepFailure(
      'metadata',
      `Cannot give ${startdir} to the build user: ${failureSummary(res)}`,
    );
  }
}
