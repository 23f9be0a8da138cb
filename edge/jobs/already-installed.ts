import type { CatalogWorker } from '../catalog/catalog.ts';
import type { HiveRecord } from '../store/records.ts';

/**
 * The version an install of this catalog worker puts on a hive, as agents report it:
 * `[epoch:]pkgver-pkgrel` of its PKGBUILD (a VCS pkgver() may change it at build time: then
 * the hive's version differs and the install runs).
 * @example catalogVersion(worker) // '0.1.0-1'
 */
export function catalogVersion(worker: CatalogWorker): string {
  const p = worker.pkgbuild.parsed;
  return `${p.epoch && p.epoch !== '0' ? `${p.epoch}:` : ''}${p.pkgver}-${p.pkgrel}`;
}

/** Does the hive report the worker installed at exactly this version and pkgrel? */
export const hasInstalled = (hive: HiveRecord, worker: string, version: string) =>
  hive.installed.some((w) => w.id === worker && w.version === version);
