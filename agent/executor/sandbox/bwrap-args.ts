import type { BuildUser } from '../build-context.ts';
import type { SandboxLimits } from './sandbox-options.ts';

export type SandboxLayout = {
  /** From systemMounts(): the read-only system. */
  system: string[];
  /**
   * Host folders the build reads (driver script, fixture folders) and folders covered with an
   * empty tmpfs (agent state, edge data), shallowest first so a deeper one wins.
   */
  mounts: { path: string; hide: boolean }[];
  /** Folders the build writes: the job's startdir and its HOME. Bound last, over the rest. */
  writable: string[];
};

export type SandboxCommand = {
  /** The user the build runs as when the agent is root; undefined keeps the agent's user. */
  user: BuildUser | undefined;
  limits: SandboxLimits;
  layout: SandboxLayout;
  /** A cgroup v2 folder to join first (as root), or undefined. */
  cgroup: string | undefined;
  network: boolean;
  cwd: string;
  /** The bwrap program (default `bwrap` on PATH). */
  bwrap?: string;
};

/**
 * The argv of one sandboxed command: `prlimit` sets the limits (hard and soft), `setpriv`
 * drops to the build user with no capabilities and NoNewPrivs, and bwrap, run by that
 * unprivileged user, makes new user, PID, IPC, UTS, cgroup and mount namespaces (and a
 * network one when the network is off). bwrap never runs as root, so no mount it makes can
 * follow a path the build planted with root's rights.
 */
export function sandboxArgv(command: SandboxCommand, file: string, args: string[]): string[] {
  const { limits, layout, user } = command;
  const argv: string[] = [];
  if (command.cgroup !== undefined) {
    argv.push('sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', command.cgroup);
  }
  argv.push(
    'prlimit',
    `--nproc=${limits.maxProcesses}:${limits.maxProcesses}`,
    `--nofile=${limits.maxOpenFiles}:${limits.maxOpenFiles}`,
    `--fsize=${limits.maxFileBytes}:${limits.maxFileBytes}`,
    '--core=0:0',
    '--',
    'setpriv',
    ...(user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'] : []),
    '--inh-caps=-all',
    ...(user ? ['--bounding-set=-all'] : []),
    '--no-new-privs',
    '--',
    command.bwrap ?? 'bwrap',
    '--unshare-user',
    '--disable-userns',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(command.network ? [] : ['--unshare-net']),
    '--die-with-parent',
    '--cap-drop',
    'ALL',
    ...layout.system,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/dev/shm',
    '--tmpfs',
    '/tmp',
    '--dir',
    '/var',
    '--tmpfs',
    '/var/tmp',
    ...layout.mounts.flatMap((m) => (m.hide ? ['--tmpfs', m.path] : ['--ro-bind', m.path, m.path])),
    ...layout.writable.flatMap((p) => ['--bind', p, p]),
    '--chdir',
    command.cwd,
    '--',
    file,
    ...args,
  );
  return argv;
}
