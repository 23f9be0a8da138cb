import type { PackageWorkers } from '../../shared/api/packages.ts';
import type { PackageRecord } from '../../shared/repo/package-record.ts';
import type { HiveRecord } from '../store/records.ts';

const platformOf = (f: { os: string; arch: string; accelerators: readonly string[] }) =>
  `${f.os}/${f.arch}/${[...f.accelerators].sort().join('+')}`;

/** Hives of the record's platform that report its worker at its version installed. */
export function usedBy(record: PackageRecord, hives: HiveRecord[]): number {
  const platform = platformOf(record.facts);
  return hives.filter(
    (h) =>
      h.platform !== null &&
      platformOf({ ...h.platform, accelerators: h.platform.accelerators.map((a) => a.kind) }) ===
        platform &&
      h.installed.some((w) => w.id === record.worker && w.version === record.version),
  ).length;
}

/** A record as `GET /api/packages` lists it: sizes summed, .PKGINFO and the signed payload left out. */
export function packageView(record: PackageRecord, hives: HiveRecord[]) {
  const { signed, files, ...rest } = record;
  return {
    ...rest,
    files: files.map(({ pkginfo: _, ...f }) => f),
    size: files.reduce((n, f) => n + f.size, 0),
    signed_by: signed?.key_id ?? '',
    used_by: usedBy(record, hives),
  };
}

/**
 * Per worker, each platform (os, arch, accelerator kinds, worker type) with a cached package
 * and its newest build: what the dashboard's catalog page shows. `records` newest first.
 */
export function cachedPlatforms(records: PackageRecord[], hives: HiveRecord[]): PackageWorkers {
  const byWorker = new Map<string, Map<string, PackageWorkers[number]['platforms'][number]>>();
  for (const r of records) {
    const platforms = byWorker.get(r.worker) ?? new Map();
    byWorker.set(r.worker, platforms);
    const id = `${platformOf(r.facts)}/${r.facts.worker_type}`;
    const seen = platforms.get(id);
    if (seen) {
      seen.builds++;
      continue;
    }
    platforms.set(id, {
      os: r.facts.os,
      arch: r.facts.arch,
      accelerators: [...r.facts.accelerators].sort(),
      worker_type: r.facts.worker_type,
      version: r.version,
      key: r.key,
      size: r.files.reduce((n, f) => n + f.size, 0),
      built_by: r.built_by,
      built_at: r.built_at,
      used_by: usedBy(r, hives),
      builds: 1,
    });
  }
  return [...byWorker]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([worker, platforms]) => ({ worker, platforms: [...platforms.values()] }));
}
