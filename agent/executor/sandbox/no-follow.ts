import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, unlink } from 'node:fs/promises';
import type { BuildUser } from '../build-context.ts';

/** The rule every refusal below names. */
export const NO_FOLLOW_RULE = 'root never follows a path the build controls';

/** A workspace path that is not what root expected to find there. */
export class PlantedPathError extends Error {
  override name = 'PlantedPathError';
  constructor(path: string, what: string) {
    super(`Refused ${path}: ${what} (rule: ${NO_FOLLOW_RULE})`);
  }
}

/**
 * Makes `path` a real folder owned by `user` (mode 0755) without following a link: whatever
 * else is there (a symlink the build planted, a file) is removed first, and the mode and owner
 * are set on the opened folder, which `O_NOFOLLOW` guarantees is not a link.
 */
export async function ensureBuildDir(path: string, user: BuildUser | undefined): Promise<void> {
  const found = await lstat(path).catch(() => undefined);
  if (found !== undefined && !found.isDirectory()) await unlink(path);
  if (found === undefined || !found.isDirectory()) await mkdir(path, { mode: 0o755 });
  const handle = await open(
    path,
    constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW,
  );
  try {
    if (!(await handle.stat()).isDirectory()) throw new PlantedPathError(path, 'not a folder');
    await handle.chmod(0o755);
    if (user) await handle.chown(user.uid, user.gid);
  } finally {
    await handle.close();
  }
}

/**
 * Creates `path` afresh for writing (`O_CREAT | O_EXCL`, which never follows a link), after
 * removing whatever name was there, and gives it to `user`.
 */
export async function createBuildFile(
  path: string,
  user: BuildUser | undefined,
): Promise<FileHandle> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    if (user) await handle.chown(user.uid, user.gid);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/**
 * Opens a plain file of the workspace for reading; undefined for anything else (a link, a
 * folder, a FIFO that would block the reader). `O_NONBLOCK` keeps a FIFO from hanging open.
 */
export async function openPlainFile(path: string): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  if ((await handle.stat()).isFile()) return handle;
  await handle.close();
  return undefined;
}
