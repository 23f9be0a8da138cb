import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Manifest, ManifestFile } from './manifest.ts';
import { sha256File } from './sha256.ts';

/** The install step could not put the package in place; nothing was left half-installed. */
export class InstallError extends Error {
  override name = 'InstallError';
  constructor(
    message: string,
    /** The file (relative to the install root) the refusal is about. */
    readonly path?: string,
  ) {
    super(message);
  }
}

export type InstallTreeOptions = {
  id: string;
  pkgnames: string[];
  version: string;
  /** The package trees the executor made (`pkg/<pkgname>`). */
  pkgdirs: string[];
  root: string;
  /** The PKGBUILD's backup= entries (paths relative to the root). */
  backup: string[];
  /** The version installed now, which this one replaces. */
  previous: Manifest | null;
  /** The worker's program relative to the root (the catalog's install_path). */
  binary?: string;
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
};

type Staged = { file: ManifestFile; staged: string };

/** Files and symlinks of a package tree, skipping makepkg's top-level metadata (`.PKGINFO`…). */
async function walk(pkgdir: string, rel = ''): Promise<{ path: string; abs: string }[]> {
  const out: { path: string; abs: string }[] = [];
  const entries = await readdir(join(pkgdir, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (rel === '' && e.name.startsWith('.')) continue;
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await walk(pkgdir, path)));
    else out.push({ path, abs: join(pkgdir, path) });
  }
  return out;
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    // ENOTDIR: a file where a folder of the path should be; the move phase reports it.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** Moves files in and out of the install root with a journal, so a failure rolls every move back. */
export class Transaction {
  readonly #moves: { target: string; saved: string | null; placed: boolean }[] = [];
  readonly #created: string[] = [];
  #n = 0;

  constructor(
    readonly root: string,
    readonly staging: string,
  ) {}

  /** Creates the missing folders of `dir` (inside the root), remembering which it made. */
  async ensureDir(dir: string) {
    const rel = relative(this.root, dir);
    if (rel === '') return;
    let at = this.root;
    for (const part of rel.split(sep)) {
      at = join(at, part);
      const st = await lstatOrNull(at);
      if (st?.isDirectory()) continue;
      if (st) {
        throw new InstallError(
          `Cannot create folder /${relative(this.root, at)}: a file is in the way`,
          relative(this.root, at),
        );
      }
      await mkdir(at);
      this.#created.push(at);
    }
  }

  /** Moves whatever is at `target` aside (kept until commit, restored on rollback). */
  async moveAside(target: string) {
    if (!(await lstatOrNull(target))) return null;
    const saved = join(this.staging, 'old', String(this.#n++));
    await mkdir(dirname(saved), { recursive: true });
    await rename(target, saved);
    this.#moves.push({ target, saved, placed: false });
    return saved;
  }

  /** Puts a staged file at `target`, replacing (and keeping aside) what was there. */
  async place(staged: string, target: string) {
    await this.ensureDir(dirname(target));
    const saved = await this.moveAside(target);
    if (saved) this.#moves.pop();
    this.#moves.push({ target, saved, placed: true });
    await rename(staged, target);
  }

  /** Created folders, deepest first (for a rollback, or for the manifest). */
  get created(): string[] {
    return [...this.#created];
  }

  async rollback() {
    for (const move of this.#moves.reverse()) {
      if (move.placed) await rm(move.target, { force: true });
      if (move.saved) await rename(move.saved, move.target).catch(() => {});
    }
    for (const dir of this.#created.reverse()) await rmdir(dir).catch(() => {});
    await rm(this.staging, { recursive: true, force: true });
  }

  async commit() {
    await rm(this.staging, { recursive: true, force: true });
  }
}

/** Removes folders that are now empty, deepest first; folders that still hold files stay. */
export async function removeEmptyDirs(root: string, dirs: string[]) {
  const sorted = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const dir of sorted) await rmdir(join(root, dir)).catch(() => {});
}

/**
 * Installs the package trees into the root atomically: every file is staged beside the root
 * first, then moved into place with a journal; any failure moves everything back. Replaces
 * the previous version's files and removes those it no longer ships; a backup= file the user
 * changed is kept and the new one written beside it as `.pacnew`, as pacman does.
 * @example const { manifest } = await installTree({ id, pkgnames, version, pkgdirs, root: '/', backup: [], previous: null });
 */
export async function installTree(options: InstallTreeOptions): Promise<InstallReport> {
  const { root, previous } = options;
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, '.rbee-staging-'));
  const tx = new Transaction(root, staging);
  const backup = new Set(options.backup.map((b) => b.replace(/^\/+/, '')));
  const previousFiles = new Map((previous?.files ?? []).map((f) => [f.path, f]));
  const pacnew: string[] = [];
  const removed: string[] = [];
  const kept: string[] = [];
  const staged: Staged[] = [];
  const seen = new Set<string>();
  let manifest: Manifest;
  try {
    // 1. Stage: a copy of every file beside the root, on the same file system as its target.
    for (const pkgdir of options.pkgdirs) {
      for (const { path, abs } of await walk(pkgdir)) {
        if (seen.has(path)) throw new InstallError(`Two packages both ship /${path}`, path);
        seen.add(path);
        const to = join(staging, 'new', path);
        await mkdir(dirname(to), { recursive: true });
        const st = await lstat(abs);
        if (st.isSymbolicLink()) {
          const target = await readlink(abs);
          await symlink(target, to);
          staged.push({ file: { path, type: 'symlink', mode: 0o777, target }, staged: to });
        } else {
          await copyFile(abs, to);
          await chmod(to, st.mode & 0o7777);
          const file: ManifestFile = {
            path,
            type: 'file',
            mode: st.mode & 0o7777,
            sha256: await sha256File(to),
            ...(backup.has(path) ? { backup: true } : {}),
          };
          staged.push({ file, staged: to });
        }
      }
    }
    // 2. Plan: refuse conflicts before anything in the root moves.
    const plan: { s: Staged; action: 'place' | 'pacnew' | 'same' }[] = [];
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
        if (disk === s.file.sha256) plan.push({ s, action: 'same' });
        else if (before?.sha256 === disk) plan.push({ s, action: 'place' });
        else plan.push({ s, action: 'pacnew' });
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
      plan.push({ s, action: 'place' });
    }
    // 3. Move each file into place, then the previous version's stale files aside.
    for (const { s, action } of plan) {
      const target = join(root, s.file.path);
      if (action === 'place') await tx.place(s.staged, target);
      if (action === 'pacnew') {
        await tx.place(s.staged, `${target}.pacnew`);
        pacnew.push(s.file.path);
      }
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
      await tx.moveAside(target);
      removed.push(old.path);
    }
    // 4. Record, still inside the transaction: no manifest, no install.
    const needed = new Set<string>();
    for (const path of seen) {
      for (let d = dirname(path); d !== '.' && d !== '/'; d = dirname(d)) needed.add(d);
    }
    const created = tx.created.map((d) => relative(root, d).split(sep).join('/'));
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
    await options.record?.(manifest);
  } catch (error) {
    await tx.rollback();
    throw error;
  }
  await tx.commit();
  const stale = (previous?.dirs ?? []).filter((d) => !manifest.dirs.includes(d));
  await removeEmptyDirs(root, stale);
  return { manifest, pacnew, removed, kept };
}
