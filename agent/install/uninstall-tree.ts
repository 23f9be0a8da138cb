import { lstat, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { removeEmptyDirs, Transaction } from './install-tree.ts';
import type { Manifest } from './manifest.ts';
import { sha256File } from './sha256.ts';

export type UninstallReport = {
  /** Files removed, relative to the root. */
  removed: string[];
  /** Backup files the user changed: left in place. */
  kept: string[];
};

/**
 * Removes exactly the files a manifest lists, keeping backup= files the user changed, then the
 * folders the install created once they are empty. All removals roll back if one fails.
 * @example const { kept } = await uninstallTree(manifest); // ['etc/rbee/hello-worker.conf']
 */
export async function uninstallTree(manifest: Manifest): Promise<UninstallReport> {
  const root = manifest.installRoot;
  const tx = new Transaction(root, await mkdtemp(join(root, '.rbee-staging-')));
  const removed: string[] = [];
  const kept: string[] = [];
  try {
    for (const file of manifest.files) {
      const target = join(root, file.path);
      const st = await lstat(target).catch(() => null);
      if (!st) continue;
      if (file.backup && st.isFile() && (await sha256File(target)) !== file.sha256) {
        kept.push(file.path);
        continue;
      }
      await tx.moveAside(target);
      removed.push(file.path);
    }
  } catch (error) {
    await tx.rollback();
    throw error;
  }
  await tx.commit();
  await removeEmptyDirs(root, manifest.dirs);
  return { removed, kept };
}
