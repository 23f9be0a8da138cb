import { readdir, readFile } from 'node:fs/promises';
import type { CatalogReader } from '../catalog/catalog.ts';

/** The catalog's worker folders, read from disk with node:fs (Deno provides node:fs too). */
export function fsCatalogReader(root: URL): CatalogReader {
  return {
    async ids() {
      const entries = await readdir(root, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    },
    async list(id) {
      const entries = await readdir(new URL(`${id}/`, root), { withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => e.name);
    },
    async read(id, name) {
      return new Uint8Array(await readFile(new URL(`${id}/${name}`, root)));
    },
  };
}

/** Where the seeded workers' folders live in the repo. */
export const catalogRoot = new URL('../catalog/workers/', import.meta.url);
