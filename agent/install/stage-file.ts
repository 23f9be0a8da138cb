import { lstat, readlink, symlink } from 'node:fs/promises';
import { createNewFile, openFileNoFollow } from '../fs/no-follow.ts';
import { InstallError } from './install-error.ts';
import type { TreeEntry } from './package-tree.ts';

const CHUNK = 1024 * 1024;

/**
 * Copies one checked entry of a package tree into the root-owned staging folder, trusting
 * nothing about the source: it is opened with O_NOFOLLOW|O_NONBLOCK, must be the very inode the
 * walk checked, and is read only up to the size the walk saw. The copy is a new file
 * (O_EXCL|O_NOFOLLOW), given its checked mode and fsynced. Returns the staged inode.
 */
export async function stageEntry(entry: TreeEntry, to: string): Promise<number> {
  if (entry.kind === 'symlink') {
    const st = await lstat(entry.abs);
    const target = await readlink(entry.abs);
    if (!st.isSymbolicLink() || st.ino !== entry.ino || target !== entry.target) changed(entry);
    await symlink(entry.target, to);
    return (await lstat(to)).ino;
  }
  const { handle: from } = await openFileNoFollow(entry.abs, entry).catch(() => changed(entry));
  try {
    const out = await createNewFile(to, 0o600);
    try {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(entry.size, 1)));
      let copied = 0;
      for (;;) {
        // One byte more than expected is enough to see that the file grew.
        const want = Math.min(buffer.length, entry.size - copied + 1);
        const { bytesRead } = await from.read(buffer, 0, want, copied);
        if (bytesRead === 0) break;
        copied += bytesRead;
        if (copied > entry.size) changed(entry);
        await out.write(buffer, 0, bytesRead);
      }
      if (copied !== entry.size) changed(entry);
      await out.chmod(entry.mode);
      await out.sync();
      return (await out.stat()).ino;
    } finally {
      await out.close();
    }
  } finally {
    await from.close();
  }
}

function changed(entry: TreeEntry): never {
  throw new InstallError(
    `Refusing /${entry.path} (rule changed): it changed in the package tree after it was checked`,
    entry.path,
    'changed',
  );
}
