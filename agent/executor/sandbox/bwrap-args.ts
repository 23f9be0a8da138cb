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
 * The argv of one sandboxed command. `prlimit` sets the limits (soft = hard). As root, bwrap
 * makes PID, IPC, UTS, cgroup and mount namespaces (and a network one when the network is
 * off) without a user namespace, and `setpriv` inside drops to the build user with no
 * capabilities (bounding set emptied), no groups and NoNewPrivs: the build keeps its real
 * uid, so root-owned files look root-owned and fakeroot's `chown` fails with EPERM, which it
 * ignores, as under makepkg (in a user namespace it fails with EINVAL and `cp -a` breaks). A
 * non-root agent runs bwrap unprivileged: a user namespace, no capabilities, no nested
 * user namespaces.
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
    ...(user ? [] : ['setpriv', '--no-new-privs', '--']),
    command.bwrap ?? 'bwrap',
    ...(user ? [] : ['--unshare-user', '--disable-userns', '--cap-drop', 'ALL']),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(command.network ? [] : ['--unshare-net']),
    '--die-with-parent',
    ...layout.system,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--tmpfs',
    '/dev/shm',
    '--perms',
    '1777',
    '--tmpfs',
    '/tmp',
    '--dir',
    '/var',
    '--perms',
    '1777',
    '--tmpfs',
    '/var/tmp',
    // Folders bwrap makes on the tmpfs to reach a mount are root's: keep them searchable.
    ...tmpfsAncestors(layout).flatMap((dir) => ['--perms', '0755', '--dir', dir]),
    ...layout.mounts.flatMap((m) => (m.hide ? ['--tmpfs', m.path] : ['--ro-bind', m.path, m.path])),
    ...layout.writable.flatMap((p) => ['--bind', p, p]),
    '--chdir',
    command.cwd,
    '--',
    ...(user
      ? [
          'setpriv',
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          '--no-new-privs',
          '--',
        ]
      : []),
    file,
    ...args,
  );
  return argv;
}

/** The folders between /tmp (or /var/tmp) and each mounted path, shallowest first. */
function tmpfsAncestors(layout: SandboxLayout): string[] {
  const dirs = new Set<string>();
  for (const path of [...layout.mounts.map((m) => m.path), ...layout.writable]) {
    const root = ['/tmp/', '/var/tmp/'].find((r) => path.startsWith(r));
    if (root === undefined) continue;
    const parts = path.slice(root.length).split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(root + parts.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length);
}
