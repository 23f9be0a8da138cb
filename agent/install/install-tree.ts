import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { InstallError } from './install-error.ts';
import type { Manifest, ManifestFile } from './manifest.ts';
import { checkPackageTrees, type PackageTreeLimits } from './package-tree.ts';
import { sha256File } from './sha256.ts';
import { stageEntry } from './stage-file.ts';
import { lstatOrNull, Transaction } from './transaction.ts';

export { InstallError } from './install-error.ts';
export { removeEmptyDirs } from './install-journal.ts';

export type InstallTreeOptions = {
  id: string;
  pkgnames: string[];
  version: string;
  /** The package trees the executor made (`pkg/<pkgname>`). */
  pkgdirs: string[];
  root: string;
  /** Where the install journal is kept (`<state>/journal`), fsynced before the first move. */
  journalDir: string;
  /** The PKGBUILD's backup= entries (paths relative to the root). */
  backup: string[];
  /** The version installed now, which this one replaces. */
  previous: Manifest | null;
  /** The worker's program relative to the root (the catalog's install_path). */
  binary?: string;
  /** Paths (absolute, as installed) allowed to keep setuid/setgid, and world-writable bits. */
  allowSetuid?: readonly string[];
  allowWorldWritable?: readonly string[];
  /** Bounds on the package tree (defaults in PACKAGE_TREE_DEFAULTS). */
  limits?: Partial<PackageTreeLimits>;
  now?: number;
  /** Writes the manifest; called before the install is final, so a failure here rolls back. */
  record?: (manifest: Manifest) => Promise<void>;
};

/** What an install did besides placing the package's files. */
export type InstallReport = {
  manifest: Manifest;
  /** Changed backup files kept; the package's version was written beside them. */
  pacnew: string[];
  /** Files of the previous version that this one no longer ships, removed. */
  removed: string[];
  /** Files of the previous version kept because the user changed them (backup files). */
  kept: string[];
  /** Bits cleared on the way (setuid, world-writable), for the job's log. */
  notes: string[];
};

type Staged = { file: ManifestFile; staged: string; ino: number };

/**
 * Installs the package trees into the root atomically. The trees are hostile input: they are
 * checked with lstat before anything is written (checkPackageTrees), then every file is
 * copied without following links into a staging folder beside the root, the moves are
 * planned and journalled (fsynced), and only then run; any failure moves everything back, and
 * an agent that died mid-way finishes or undoes the journal at its next start. Replaces the
 * previous version's files and removes those it no longer ships; a backup= file the user
 * changed is kept and the new one written beside it as `.pacnew`, as pacman does.
 * @example const { manifest } = await installTree({ id, pkgnames, version, pkgdirs, root: '/', journalDir, backup: [], previous: null });
 */
export async function installTree(options: InstallTreeOptions): Promise<InstallReport> {
  const { root, previous } = options;
  await mkdir(root, { recursive: true });
  // 1. Check: nothing is written anywhere until the whole tree passed.
  const tree = await checkPackageTrees(options.pkgdirs, {
    root,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.allowSetuid ? { allowSetuid: options.allowSetuid } : {}),
    ...(options.allowWorldWritable ? { allowWorldWritable: options.allowWorldWritable } : {}),
  });
  const staging = join(root, `.rbee-staging-${randomBytes(6).toString('hex')}`);
  const tx = new Transaction(options.journalDir, options.id, root, staging);
  const backup = new Set(options.backup.map((b) => b.replace(/^\/+/, '')));
  const previousFiles = new Map((previous?.files ?? []).map((f) => [f.path, f]));
  const seen = new Set(tree.entries.map((e) => e.path));
  const pacnew: string[] = [];
  const removed: string[] = [];
  const kept: string[] = [];
  const staged: Staged[] = [];
  let manifest: Manifest;
  await tx.open();
  try {
    // 2. Stage: a checked copy of every file beside the root, on the same file system.
    let n = 0;
    for (const entry of tree.entries) {
      const to = join(staging, `new-${n++}`);
      const ino = await stageEntry(entry, to);
      const file: ManifestFile =
        entry.kind === 'symlink'
          ? { path: entry.path, type: 'symlink', mode: 0o777, target: entry.target }
          : {
              path: entry.path,
              type: 'file',
              mode: entry.mode,
              sha256: await sha256File(to),
              ...(backup.has(entry.path) ? { backup: true } : {}),
            };
      staged.push({ file, staged: to, ino });
    }
    // 3. Plan: refuse conflicts before anything in the root moves.
    const missing = new Set<string>();
    for (const dir of [...tree.dirs].sort()) {
      if (!(await lstatOrNull(join(root, dir)))) missing.add(dir);
    }
    for (const dir of [...missing].sort()) tx.createDir(join(root, dir));
    for (const s of staged) {
      const target = join(root, s.file.path);
      const st = await lstatOrNull(target);
      const before = previousFiles.get(s.file.path);
      if (st?.isDirectory()) {
        throw new InstallError(
          `Cannot install /${s.file.path}: a folder is in the way`,
          s.file.path,
        );
      }
      if (st && s.file.backup && st.isFile()) {
        const disk = await sha256File(target);
        if (disk === s.file.sha256) continue;
        if (before?.sha256 === disk) tx.place(s.staged, s.ino, target, true);
        else {
          const beside = `${target}.pacnew`;
          tx.place(s.staged, s.ino, beside, (await lstatOrNull(beside)) !== null);
          pacnew.push(s.file.path);
        }
        continue;
      }
      if (st && !before) {
        const same = st.isFile() && s.file.sha256 === (await sha256File(target));
        if (!same) {
          throw new InstallError(
            `Cannot install /${s.file.path}: it exists in the install root and no version of ${options.id} installed it`,
            s.file.path,
          );
        }
      }
      tx.place(s.staged, s.ino, target, st !== null);
    }
    for (const old of previous?.files ?? []) {
      if (seen.has(old.path)) continue;
      const target = join(root, old.path);
      const st = await lstatOrNull(target);
      if (!st) continue;
      if (old.backup && st.isFile() && (await sha256File(target)) !== old.sha256) {
        kept.push(old.path);
        continue;
      }
      tx.remove(target);
      removed.push(old.path);
    }
    const needed = new Set<string>();
    for (const path of seen) {
      for (let d = dirname(path); d !== '.' && d !== '/'; d = dirname(d)) needed.add(d);
    }
    const created = tx.dirs.map((d) => relative(root, d).split(sep).join('/'));
    const dirs = [...(previous?.dirs ?? []).filter((d) => needed.has(d)), ...created];
    manifest = {
      id: options.id,
      pkgnames: options.pkgnames,
      version: options.version,
      installRoot: root,
      files: staged.map((s) => s.file),
      dirs: [...new Set(dirs)].sort(),
      ...(options.binary && seen.has(options.binary.replace(/^\/+/, ''))
        ? { binary: join(root, options.binary) }
        : {}),
      installed_at: options.now ?? Date.now(),
    };
    const stale = (previous?.dirs ?? []).filter((d) => !manifest.dirs.includes(d));
    // 4. Journal (fsynced), then every move; 5. record, still inside the transaction.
    await tx.apply(manifest, stale, previous !== null);
    await options.record?.(manifest);
  } catch (error) {
    await tx.rollback();
    throw error;
  }
  await tx.commit();
  return { manifest, pacnew, removed, kept, notes: tree.notes };
}
