import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InstallError, type InstallRule } from './install-error.ts';

/** Bounds on what one install may put in the root; each is an option with a default. */
export type PackageTreeLimits = {
  /** Largest single file (default 4 GiB). */
  maxFileBytes: number;
  /** All files of all split packages together (default 16 GiB). */
  maxTotalBytes: number;
  /** Files, symlinks and folders together (default 200,000). */
  maxEntries: number;
};

export const PACKAGE_TREE_DEFAULTS: PackageTreeLimits = {
  maxFileBytes: 4 * 1024 ** 3,
  maxTotalBytes: 16 * 1024 ** 3,
  maxEntries: 200_000,
};

export type PackageTreeOptions = {
  /** The install root: symlinks must stay inside it, its folders must be folders. */
  root: string;
  limits?: Partial<PackageTreeLimits>;
  /** Absolute paths (as installed) that keep their setuid/setgid bits (catalog `install.allow_setuid`). */
  allowSetuid?: readonly string[];
  /** Absolute paths that keep a world-writable bit (catalog `install.allow_world_writable`). */
  allowWorldWritable?: readonly string[];
};

/** A file or symlink the walk accepted, with what it saw, so the copy can check it is the same. */
export type TreeEntry =
  | {
      kind: 'file';
      path: string;
      abs: string;
      /** The mode to install: the package's, with refused bits cleared. */
      mode: number;
      size: number;
      dev: number;
      ino: number;
    }
  | { kind: 'symlink'; path: string; abs: string; target: string; dev: number; ino: number };

export type CheckedTree = {
  entries: TreeEntry[];
  /** Folders the packages ship, relative to the root. */
  dirs: string[];
  /** What was changed on the way, for the job's log (`cleared setuid on /usr/bin/x`). */
  notes: string[];
  totalBytes: number;
};

const refuse = (rule: InstallRule, path: string, why: string): never => {
  throw new InstallError(`Refusing /${path} (rule ${rule}): ${why}`, path, rule);
};

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a file, a folder or a symlink';
}

/**
 * Walks the package trees a build made with `lstat` only (never following a link, never
 * opening a file) and refuses what install must not write: a path under a symlink (in one
 * package or across split packages, or where the root has a symlink), a symlink whose target
 * leaves the root, a device, FIFO or socket, a hard link, a file or a total over the limits.
 * Clears setuid/setgid and world-writable bits unless the catalog allows the exact path.
 * Nothing is written; the result is what the install may stage.
 * @example const tree = await checkPackageTrees(['/w/pkg/a', '/w/pkg/b'], { root: '/' });
 */
export async function checkPackageTrees(
  pkgdirs: readonly string[],
  options: PackageTreeOptions,
): Promise<CheckedTree> {
  const limits = { ...PACKAGE_TREE_DEFAULTS, ...options.limits };
  const allowSetuid = new Set(options.allowSetuid ?? []);
  const allowWorldWritable = new Set(options.allowWorldWritable ?? []);
  /** Every path of every package: what it is, so split packages are checked as one tree. */
  const kinds = new Map<string, 'dir' | 'file' | 'symlink'>();
  const links = new Map<string, string>();
  const entries: TreeEntry[] = [];
  const notes: string[] = [];
  let total = 0;
  let count = 0;

  for (const pkgdir of pkgdirs) {
    const top = await lstat(pkgdir);
    if (!top.isDirectory()) refuse('no-follow', '', `the package tree ${pkgdir} is not a folder`);
    const pending: string[] = [''];
    while (pending.length > 0) {
      const rel = pending.pop()!;
      const names = (await readdir(join(pkgdir, rel))).sort();
      for (const name of names.reverse()) {
        // makepkg's metadata (.PKGINFO, .BUILDINFO, .MTREE) is not installed.
        if (rel === '' && name.startsWith('.')) continue;
        const path = rel === '' ? name : `${rel}/${name}`;
        const abs = join(pkgdir, path);
        if (++count > limits.maxEntries) {
          refuse(
            'too-many-files',
            path,
            `the packages hold more than ${limits.maxEntries} entries`,
          );
        }
        const st = await lstat(abs);
        const before = kinds.get(path);
        if (st.isDirectory()) {
          if (before === 'symlink')
            refuse(
              'parent-symlink',
              path,
              'another package ships it as a symlink, this one puts files under it',
            );
          if (before === 'file')
            refuse('path-conflict', path, 'another package ships it as a file');
          kinds.set(path, 'dir');
          pending.push(path);
          continue;
        }
        if (before === 'dir') {
          refuse(
            st.isSymbolicLink() ? 'parent-symlink' : 'path-conflict',
            path,
            'another package ships files under it, so it must be a folder',
          );
        }
        if (before) refuse('duplicate-path', path, 'two packages both ship it');
        if (st.isSymbolicLink()) {
          const target = await readlink(abs);
          kinds.set(path, 'symlink');
          links.set(path, target);
          entries.push({ kind: 'symlink', path, abs, target, dev: st.dev, ino: st.ino });
          continue;
        }
        if (!st.isFile())
          refuse(
            'special-file',
            path,
            `it is ${kindOf(st)}, and install places only files, folders and symlinks`,
          );
        if (st.nlink > 1) {
          refuse(
            'hard-link',
            path,
            `it has ${st.nlink} links: a hard link could tie an installed file to one the build still controls`,
          );
        }
        if (st.size > limits.maxFileBytes) {
          refuse(
            'file-too-large',
            path,
            `${st.size} bytes is over the limit of ${limits.maxFileBytes}`,
          );
        }
        total += st.size;
        if (total > limits.maxTotalBytes) {
          refuse(
            'tree-too-large',
            path,
            `the packages pass the limit of ${limits.maxTotalBytes} bytes here`,
          );
        }
        kinds.set(path, 'file');
        entries.push({
          kind: 'file',
          path,
          abs,
          mode: allowedMode(path, st.mode & 0o7777, allowSetuid, allowWorldWritable, notes),
          size: st.size,
          dev: st.dev,
          ino: st.ino,
        });
      }
    }
  }

  const dirs = [...kinds].filter(([, k]) => k === 'dir').map(([p]) => p);
  // The root's own folders: a symlink there would carry every write below it elsewhere.
  for (const dir of dirs.sort()) {
    const st = await lstat(join(options.root, dir)).catch(() => null);
    if (st?.isSymbolicLink())
      refuse(
        'parent-symlink',
        dir,
        'it is a symlink in the install root, and install never writes through one',
      );
    if (st && !st.isDirectory())
      refuse('path-conflict', dir, 'a file is in the way in the install root');
  }
  for (const [path, target] of links) {
    const why = await symlinkEscapes(options.root, path, target, kinds, links);
    if (why) refuse('symlink-escape', path, `its target ${target} ${why}`);
  }
  return {
    entries: entries.sort((a, b) => (a.path < b.path ? -1 : 1)),
    dirs,
    notes,
    totalBytes: total,
  };
}

/** The mode to install, with setuid/setgid and world-writable cleared unless the path is allowed. */
function allowedMode(
  path: string,
  mode: number,
  allowSetuid: Set<string>,
  allowWorldWritable: Set<string>,
  notes: string[],
): number {
  let m = mode & 0o777;
  const special = mode & 0o6000;
  if (special) {
    if (allowSetuid.has(`/${path}`)) m |= special;
    else
      notes.push(
        `cleared ${special & 0o4000 ? 'setuid' : ''}${special === 0o6000 ? '+' : ''}${special & 0o2000 ? 'setgid' : ''} on /${path} (not in the catalog's install.allow_setuid)`,
      );
  }
  if (m & 0o002 && !allowWorldWritable.has(`/${path}`)) {
    m &= ~0o002;
    notes.push(
      `cleared world-writable on /${path} (not in the catalog's install.allow_world_writable)`,
    );
  }
  return m;
}

const MAX_HOPS = 40;

/**
 * Resolves a symlink from its place the way the kernel would once installed, through the
 * packages' own links and the root's, and says how it leaves the root (undefined if it stays).
 */
async function symlinkEscapes(
  root: string,
  path: string,
  target: string,
  kinds: Map<string, string>,
  links: Map<string, string>,
): Promise<string | undefined> {
  const rootParts = root.split('/').filter(Boolean);
  const stack = path.split('/').slice(0, -1);
  let todo = target.split('/');
  const absolute = (t: string) => {
    const parts = t.split('/').filter(Boolean);
    // An absolute target is the host's path: inside the root only under the root's own path.
    if (parts.slice(0, rootParts.length).join('/') !== rootParts.join('/')) return undefined;
    return parts.slice(rootParts.length);
  };
  if (target.startsWith('/')) {
    const inside = absolute(target);
    if (!inside) return `is outside the install root ${root}`;
    stack.length = 0;
    todo = inside;
  }
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return `climbs above the install root ${root}`;
      stack.pop();
      continue;
    }
    stack.push(part);
    const at = stack.join('/');
    let link = kinds.has(at) ? links.get(at) : undefined;
    if (!kinds.has(at)) {
      const st = await lstat(join(root, at)).catch(() => null);
      if (st?.isSymbolicLink()) link = await readlink(join(root, at));
    }
    if (link === undefined) continue;
    if (++hops > MAX_HOPS) return `does not resolve within ${MAX_HOPS} links`;
    stack.pop();
    if (link.startsWith('/')) {
      const inside = absolute(link);
      if (!inside) return `leads through /${at} to ${link}, outside the install root ${root}`;
      stack.length = 0;
      todo = [...inside, ...todo];
    } else todo = [...link.split('/'), ...todo];
  }
  return undefined;
}
