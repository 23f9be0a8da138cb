import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';

/** The host folders every build sees, read-only: programs, libraries and configuration. */
const SYSTEM_PATHS = [
  '/usr',
  '/etc',
  '/opt',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
];

/**
 * bwrap arguments that show the system read-only, as this host lays it out: a merged-/usr
 * link (`/bin -> usr/bin`) stays a link, a folder is bound read-only, a missing one is left
 * out. An allow-list rather than `/` itself, so /root, /home, /var/lib and /srv (agent state,
 * edge data, other jobs) are not there at all.
 */
export function systemMounts(): string[] {
  const args: string[] = [];
  for (const path of SYSTEM_PATHS) {
    const info = lstatOrUndefined(path);
    if (info === undefined) continue;
    if (info.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (info.isDirectory()) args.push('--ro-bind', path, path);
  }
  // A resolv.conf that links out of /etc (systemd-resolved) keeps working for downloads.
  const resolv = realpathOrUndefined('/etc/resolv.conf');
  if (resolv !== undefined && !SYSTEM_PATHS.some((p) => resolv.startsWith(`${p}/`))) {
    args.push('--ro-bind', dirname(resolv), dirname(resolv));
  }
  return args;
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
