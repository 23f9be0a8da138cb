import type { Store } from '../store/store.ts';

/**
 * Where package files live, by their SHA-256. Engines: a folder under the Node edge's data dir
 * (edge/node/folder-blob-store.ts) and chunks in the store (this file), which every instance of
 * a multi-instance edge reaches, Deno Deploy's KV and Redis included.
 */
export interface BlobStore {
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  get(sha256: string): Promise<Uint8Array | null>;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
}

/** Deno KV caps a value at 64 KiB: blobs go in 60 KiB chunks. */
export const BLOB_CHUNK_BYTES = 60 * 1024;

/**
 * Blobs as chunks of the store engine.
 * @example const blobs = new StoreBlobStore(store); await blobs.put(sha, bytes);
 */
export class StoreBlobStore implements BlobStore {
  constructor(private readonly store: Store) {}

  async put(sha256: string, bytes: Uint8Array) {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += BLOB_CHUNK_BYTES) {
      chunks.push(bytes.subarray(at, at + BLOB_CHUNK_BYTES));
    }
    await this.store.putBlob(sha256, chunks);
  }

  async get(sha256: string) {
    const chunks = await this.store.getBlob(sha256);
    if (chunks === null) return null;
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  async has(sha256: string) {
    return this.store.hasBlob(sha256);
  }

  async delete(sha256: string) {
    await this.store.deleteBlob(sha256);
  }
}
