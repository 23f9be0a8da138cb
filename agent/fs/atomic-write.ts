import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Every temporary file this helper leaves after a crash ends with this, for a cleanup to find. */
export const ATOMIC_TEMP_SUFFIX = '.tmp';

let writes = 0;

/**
 * Writes `data` to `path` so that a crash at any point leaves the old file or the new one, never
 * half of one: a temporary file beside it (0600: state files are root's alone), fsync of the file, rename over `path`, fsync of the
 * folder (the rename is only durable once the folder's entry is on disk). The temporary name is
 * unique per write, so two writers of one path never rename each other's file; the last rename
 * wins. A failed write removes its temporary file.
 * @example
 * await writeFileAtomic('/var/lib/rbee/capabilities.json', `${JSON.stringify(caps)}\n`);
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  /** Permission bits of the new file (default 0o666 less the umask); 0o600 for a secret. */
  options: { mode?: number } = {},
): Promise<void> {
  const tmp = join(
    dirname(path),
    `${basename(path)}.${process.pid}.${++writes}${ATOMIC_TEMP_SUFFIX}`,
  );
  try {
    const file = await open(tmp, 'w', options.mode ?? 0o600);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
