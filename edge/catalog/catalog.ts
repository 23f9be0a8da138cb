import { type CatalogEntry, catalogEntrySchema } from '../../shared/catalog/schema.ts';

/** A file the catalog serves: its bytes and a strong ETag computed once at load. */
export type CatalogFile = { bytes: Uint8Array; etag: string };

export type CatalogWorker = {
  entry: CatalogEntry;
  pkgbuild: CatalogFile & { text: string };
  /** Local source files named by the PKGBUILD, by file name. */
  files: Map<string, CatalogFile>;
};

/** The read-only view of the worker folders: an adapter gives one per runtime. */
export type CatalogReader = {
  /** File names in a worker's folder (not recursive). */
  list(id: string): Promise<string[]>;
  read(id: string, name: string): Promise<Uint8Array>;
};

/** The loaded catalog: entries in seed order, with their PKGBUILDs and files in memory. */
export class Catalog {
  readonly #workers: Map<string, CatalogWorker>;

  constructor(workers: CatalogWorker[]) {
    this.#workers = new Map(workers.map((w) => [w.entry.id, w]));
  }

  entries(): CatalogEntry[] {
    return [...this.#workers.values()].map((w) => w.entry);
  }

  get(id: string): CatalogWorker | undefined {
    return this.#workers.get(id);
  }
}

/** Thrown at start when a catalog entry or its folder is not servable; names the entry and the rule. */
export class CatalogError extends Error {
  override name = 'CatalogError';
}

async function etagOf(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return `"sha256-${hex.slice(0, 32)}"`;
}

/**
 * Validates every entry and loads its PKGBUILD and local files. Anything wrong stops the start.
 * @example const catalog = await loadCatalog(seedEntries, nodeCatalogReader(dir));
 */
export async function loadCatalog(entries: unknown[], reader: CatalogReader): Promise<Catalog> {
  const workers: CatalogWorker[] = [];
  const seen = new Set<string>();
  for (const raw of entries) {
    const parsed = catalogEntrySchema.safeParse(raw);
    if (!parsed.success) {
      const id = (raw as { id?: unknown })?.id;
      throw new CatalogError(`Catalog entry ${String(id)} is invalid: ${parsed.error.message}`);
    }
    const entry = parsed.data;
    if (seen.has(entry.id)) throw new CatalogError(`Catalog entry ${entry.id} is listed twice`);
    seen.add(entry.id);
    const names = await reader.list(entry.id);
    if (!names.includes('PKGBUILD')) {
      throw new CatalogError(`Catalog entry ${entry.id} has no PKGBUILD in its folder`);
    }
    const pkgbuildBytes = await reader.read(entry.id, 'PKGBUILD');
    const files = new Map<string, CatalogFile>();
    for (const name of names) {
      if (name === 'PKGBUILD') continue;
      const bytes = await reader.read(entry.id, name);
      files.set(name, { bytes, etag: await etagOf(bytes) });
    }
    workers.push({
      entry,
      pkgbuild: {
        bytes: pkgbuildBytes,
        etag: await etagOf(pkgbuildBytes),
        text: new TextDecoder().decode(pkgbuildBytes),
      },
      files,
    });
  }
  return new Catalog(workers);
}
