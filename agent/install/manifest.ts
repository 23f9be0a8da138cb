import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/** One installed file: path relative to the install root, as in the package tree. */
export type ManifestFile = {
  path: string;
  type: 'file' | 'symlink';
  /** Permission bits (`0o755` is 493). */
  mode: number;
  /** Of the file as the package shipped it (a changed backup file differs from it). */
  sha256?: string;
  /** A symlink's target. */
  target?: string;
  /** Listed in the PKGBUILD's backup=: a user's changes are kept. */
  backup?: boolean;
};

/** Everything one install put on disk, so an upgrade or an uninstall removes exactly that. */
export type Manifest = {
  id: string;
  pkgnames: string[];
  /** `[epoch:]pkgver-pkgrel`. */
  version: string;
  installRoot: string;
  files: ManifestFile[];
  /** Folders this worker created (removed again when empty). */
  dirs: string[];
  /** The worker's program, an absolute path, when the package shipped it. */
  binary?: string;
  installed_at: number;
};

const folder = (stateDir: string) => join(stateDir, 'installed');

/** The manifest of an installed worker, or null. */
export async function readManifest(stateDir: string, id: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(join(folder(stateDir), `${id}.json`), 'utf8')) as Manifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Every installed worker's manifest, by id order. */
export async function listManifests(stateDir: string): Promise<Manifest[]> {
  let names: string[];
  try {
    names = await readdir(folder(stateDir));
  } catch {
    return [];
  }
  const out: Manifest[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const manifest = await readManifest(stateDir, name.slice(0, -5));
    if (manifest) out.push(manifest);
  }
  return out;
}

/** Writes the manifest whole or not at all, durably: it is what an uninstall removes. */
export async function writeManifest(stateDir: string, manifest: Manifest): Promise<void> {
  await mkdir(folder(stateDir), { recursive: true, mode: 0o700 });
  const path = join(folder(stateDir), `${manifest.id}.json`);
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function deleteManifest(stateDir: string, id: string): Promise<void> {
  await rm(join(folder(stateDir), `${id}.json`), { force: true });
}
