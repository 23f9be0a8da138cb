import type { CatalogReader } from '../catalog/catalog.ts';

/** The catalog's worker folders, read with Deno's own file API. */
export function denoCatalogReader(root: URL): CatalogReader {
  return {
    async ids() {
      const names: string[] = [];
      for await (const entry of Deno.readDir(root)) if (entry.isDirectory) names.push(entry.name);
      return names;
    },
    async list(id) {
      const names: string[] = [];
      for await (const entry of Deno.readDir(new URL(`${id}/`, root))) {
        if (entry.isFile) names.push(entry.name);
      }
      return names;
    },
    read: (id, name) => Deno.readFile(new URL(`${id}/${name}`, root)),
  };
}
