import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** A path root refused to open: a symlink, or not the kind of file it expected. */
export class NoFollowError extends Error {
  override name = 'NoFollowError';
  constructor(
    message: string,
    readonly path: string,
    /** The rule broken: `no-follow` (a symlink), `not-a-file` (a FIFO, a device, a folder). */
    readonly rule: 'no-follow' | 'not-a-file',
  ) {
    super(message);
  }
}

/** What an ELOOP from O_NOFOLLOW means, said as the rule it broke. */
function refused(path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP' || code === 'EMLINK') {
    throw new NoFollowError(
      `Refusing ${path} (rule no-follow): it is a symlink, and root never opens a path through one`,
      path,
      'no-follow',
    );
  }
  throw error;
}

/**
 * Opens an existing regular file for reading without following a symlink at its last
 * component (O_NOFOLLOW) and without waiting on a FIFO (O_NONBLOCK), then checks the opened
 * descriptor with fstat: anything but a plain file is closed and refused. `expect` (dev and
 * ino from an earlier lstat) makes sure it is the very file that was checked.
 * @example const { handle, stat } = await openFileNoFollow('/var/lib/rbee/work/j/pkg/x/usr/bin/x');
 */
export async function openFileNoFollow(
  path: string,
  expect?: Pick<Stats, 'dev' | 'ino'>,
): Promise<{ handle: FileHandle; stat: Stats }> {
  const handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch((e) =>
    refused(path, e),
  );
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new NoFollowError(
        `Refusing ${path} (rule not-a-file): it is not a regular file`,
        path,
        'not-a-file',
      );
    }
    if (expect && (stat.dev !== expect.dev || stat.ino !== expect.ino)) {
      throw new NoFollowError(
        `Refusing ${path} (rule not-a-file): it changed after it was checked`,
        path,
        'not-a-file',
      );
    }
    return { handle, stat };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Creates a new file (O_CREAT|O_EXCL|O_NOFOLLOW): never one that exists, never through a
 * symlink someone planted at `path`. The caller writes, syncs and closes it.
 * @example const file = await createNewFile(join(workspace, '.rbee-failed'), 0o644);
 */
export async function createNewFile(path: string, mode = 0o600): Promise<FileHandle> {
  return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, mode).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') {
        throw new NoFollowError(
          `Refusing to write ${path} (rule no-follow): something is already there, and root writes only new files in a folder another user controls`,
          path,
          'no-follow',
        );
      }
      return refused(path, error);
    },
  );
}

/** Writes `data` to a new file made by `createNewFile`, synced. */
export async function writeNewFile(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const file = await createNewFile(path, mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}
