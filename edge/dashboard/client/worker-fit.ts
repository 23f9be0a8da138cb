import type { Incompatibility } from '../../../shared/catalog/compatibility.ts';
import { incompatibilities } from '../../../shared/catalog/compatibility.ts';
import type { CatalogEntry } from '../../../shared/catalog/schema.ts';
import { client } from './client.ts';
import type { Hive } from './types.ts';

/**
 * Why a hive cannot run a catalog entry (empty: it can): the shared check that the agent's
 * platform step and the edge's hive catalog make, bundled into this script, so the page never
 * tells a different story from them.
 */
export const whyNot = (hive: Pick<Hive, 'platform'>, entry: CatalogEntry): string[] =>
  incompatibilities(entry, hive.platform).map((r) => r.message);

/** What the catalog page prints in a hive's row for the reasons whyNot (or the edge) gave. */
export const fitText = (why: readonly string[]) =>
  why.length === 0 ? 'can run' : `cannot: ${why.join('; ')}`;

/** Asks the edge which entries a hive can run and why not; null when this edge cannot say. */
export async function serverFit(hive: Hive): Promise<Map<string, string[]> | null> {
  let workers: unknown;
  try {
    workers = await client.hiveCatalog(hive.id, true);
  } catch {
    return null;
  }
  if (!Array.isArray(workers)) return null;
  const map = new Map<string, string[]>();
  for (const w of workers as {
    id: string;
    runnable?: unknown;
    reasons?: (string | Incompatibility)[];
  }[]) {
    if (typeof w.runnable !== 'boolean') return null;
    map.set(
      w.id,
      w.runnable ? [] : (w.reasons ?? []).map((x) => (typeof x === 'string' ? x : x.message)),
    );
  }
  return map;
}
