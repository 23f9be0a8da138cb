import { type CatalogEntry, catalogEntrySchema } from '../../shared/catalog/schema.ts';
import { ParseError, type Pkgbuild, parsePkgbuild } from '../../shared/pkgbuild/index.ts';
import { type CatalogStatement, readStatement } from './catalog-statement.ts';

/** A file the catalog serves: its bytes and a strong ETag computed once at load. */
export type CatalogFile = { bytes: Uint8Array; etag: string };

export type CatalogWorker = {
  entry: CatalogEntry;
  pkgbuild: CatalogFile & { text: string; parsed: Pkgbuild };
  /** Local source files named by the PKGBUILD, by file name. */
  files: Map<string, CatalogFile>;
  /** The fleet key's signed statement (`rbee catalog sign`), served as-is; the edge cannot make one. */
  statement?: CatalogStatement;
};

/** The read-only view of the worker folders: an adapter gives one per runtime. */
export type CatalogReader = {
  /** The worker folders there are (for a catalog folder given with --catalog). */
  ids(): Promise<string[]>;
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
export async function loadCatalog(
  entries: unknown[],
  reader: CatalogReader,
  extra?: CatalogReader,
  /** Where `rbee catalog sign --out` put statements for these folders (`<id>/statement.json`). */
  statements?: CatalogReader,
): Promise<Catalog> {
  const workers: CatalogWorker[] = [];
  const seen = new Set<string>();
  const sources: Array<[unknown, CatalogReader]> = entries.map((e) => [e, reader]);
  // An operator's own workers: each folder holds worker.json (the entry), its PKGBUILD and files.
  for (const id of extra ? (await extra.ids()).sort() : []) {
    const text = new TextDecoder().decode(
      await extra!.read(id, 'worker.json').catch(() => {
        throw new CatalogError(`Catalog folder ${id} has no worker.json`);
      }),
    );
    try {
      sources.push([JSON.parse(text), extra!]);
    } catch (error) {
      throw new CatalogError(
        `Catalog folder ${id}: worker.json is not JSON: ${(error as Error).message}`,
      );
    }
  }
  for (const [raw, from] of sources) {
    const valid = catalogEntrySchema.safeParse(raw);
    if (!valid.success) {
      const id = (raw as { id?: unknown })?.id;
      throw new CatalogError(`Catalog entry ${String(id)} is invalid: ${valid.error.message}`);
    }
    const entry = valid.data;
    if (seen.has(entry.id)) throw new CatalogError(`Catalog entry ${entry.id} is listed twice`);
    seen.add(entry.id);
    const names = await from.list(entry.id).catch(() => [] as string[]);
    if (!names.includes('PKGBUILD')) {
      throw new CatalogError(`Catalog entry ${entry.id} has no PKGBUILD in its folder`);
    }
    const pkgbuildBytes = await from.read(entry.id, 'PKGBUILD');
    const text = new TextDecoder().decode(pkgbuildBytes);
    const parsed = checkPkgbuild(entry, text, names);
    // Only what the PKGBUILD names is served: its local sources, install and changelog files.
    const named = new Set(parsed.sources.filter((src) => src.isLocal).map((src) => src.filename));
    for (const list of Object.values(parsed.archSources)) {
      for (const src of list) if (src.isLocal) named.add(src.filename);
    }
    for (const key of ['install', 'changelog']) {
      const value = parsed.fields[key];
      if (typeof value === 'string' && value) named.add(value);
    }
    const files = new Map<string, CatalogFile>();
    for (const name of [...named].sort()) {
      if (!names.includes(name)) {
        throw new CatalogError(
          `Catalog entry ${entry.id}: its PKGBUILD names ${name}, which is not in its folder`,
        );
      }
      const bytes = await from.read(entry.id, name);
      files.set(name, { bytes, etag: await etagOf(bytes) });
    }
    const statement = await readStatement(entry.id, names, from, statements, pkgbuildBytes, files);
    workers.push({
      entry,
      pkgbuild: { bytes: pkgbuildBytes, etag: await etagOf(pkgbuildBytes), text, parsed },
      files,
      ...(statement ? { statement } : {}),
    });
  }
  return new Catalog(workers);
}

/**
 * Parses a catalog PKGBUILD with the shared parser and checks it against its entry: the entry's
 * id is one of its packages, the versions agree, and it builds for every listed architecture.
 */
function checkPkgbuild(entry: CatalogEntry, text: string, names: string[]): Pkgbuild {
  let parsed: Pkgbuild;
  try {
    parsed = parsePkgbuild(text, {
      filename: `${entry.id}/PKGBUILD`,
      fileExists: (path) => names.includes(path),
    });
  } catch (error) {
    if (error instanceof ParseError) {
      throw new CatalogError(`Catalog entry ${entry.id}: ${error.message} [${error.code}]`);
    }
    throw error;
  }
  if (!parsed.pkgnames.includes(entry.id)) {
    throw new CatalogError(
      `Catalog entry ${entry.id}: its PKGBUILD builds ${parsed.pkgnames.join(', ')}, not ${entry.id}`,
    );
  }
  if (parsed.pkgver !== entry.version) {
    throw new CatalogError(
      `Catalog entry ${entry.id}: version ${entry.version} disagrees with the PKGBUILD's pkgver ${parsed.pkgver}`,
    );
  }
  const arch = parsed.packages.find((p) => p.name === entry.id)?.arch ?? [];
  const missing = entry.architectures.filter((a) => !arch.includes(a) && !arch.includes('any'));
  if (missing.length > 0) {
    throw new CatalogError(
      `Catalog entry ${entry.id}: lists ${missing.join(', ')}, which its PKGBUILD's arch=(${arch.join(' ')}) does not build`,
    );
  }
  return parsed;
}
