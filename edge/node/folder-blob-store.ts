import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../packages/blob-store.ts';

/**
 * Package files as files named by their SHA-256 in a folder (`<data>/packages/`), written to a
 * temporary name, fsynced and renamed, so a reader sees a whole file or none.
 * @example const blobs = new FolderBlobStore(join(dataDir, 'packages'));
 */
export class FolderBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private path(sha256: string) {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`bad blob name ${sha256}`);
    return join(this.dir, sha256);
  }

  async put(sha256: string, bytes: Uint8Array) {
    // Like the rest of the data folder: for the edge's user only (0700 folder, 0600 files).
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = join(this.dir, `.${sha256}.${randomBytes(6).toString('hex')}`);
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path(sha256));
  }

  async get(sha256: string) {
    try {
      return new Uint8Array(await readFile(this.path(sha256)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async has(sha256: string) {
    return stat(this.path(sha256)).then(
      () => true,
      () => false,
    );
  }

  async delete(sha256: string) {
    await rm(this.path(sha256), { force: true });
  }
}
