import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Manifest } from './manifest.ts';
import { sha256File } from './sha256.ts';
import { lstatOrNull, Transaction } from './transaction.ts';

export type UninstallReport = {
  /** Files removed, relative to the root. */
  removed: string[];
  /** Backup files the user changed: left in place. */
  kept: string[];
};

/**
 * Removes exactly the files a manifest lists, keeping backup= files the user changed, then the
 * folders the install created once they are empty. The removals are journalled in `journalDir`
 * first; all roll back if one fails, and `record` (deleting the manifest) is the commit point.
 * @example const { kept } = await uninstallTree(manifest, journalDir, () => deleteManifest(state, id));
 */
export async function uninstallTree(
  manifest: Manifest,
  journalDir: string,
  record?: () => Promise<void>,
): Promise<UninstallReport> {
  const root = manifest.installRoot;
  const staging = join(root, `.rbee-staging-${randomBytes(6).toString('hex')}`);
  const tx = new Transaction(journalDir, manifest.id, root, staging);
  const removed: string[] = [];
  const kept: string[] = [];
  await tx.open();
  try {
    for (const file of manifest.files) {
      const target = join(root, file.path);
      const st = await lstatOrNull(target);
      if (!st) continue;
      if (file.backup && st.isFile() && (await sha256File(target)) !== file.sha256) {
        kept.push(file.path);
        continue;
      }
      tx.remove(target);
      removed.push(file.path);
    }
    await tx.apply(null, manifest.dirs, false);
    await record?.();
  } catch (error) {
    await tx.rollback();
    throw error;
  }
  await tx.commit();
  return { removed, kept };
}
