import type { PackageRecord } from '../../shared/repo/package-record.ts';

/**
 * The records a retention of `keep` versions per worker drops: for each worker, every record
 * whose version is not among its `keep` newest (by build time). Platforms of a kept version
 * all stay.
 */
export function recordsToDrop(records: PackageRecord[], keep: number): PackageRecord[] {
  const byWorker = new Map<string, PackageRecord[]>();
  for (const r of records) byWorker.set(r.worker, [...(byWorker.get(r.worker) ?? []), r]);
  const drop: PackageRecord[] = [];
  for (const list of byWorker.values()) {
    const newest = new Map<string, number>();
    for (const r of list) newest.set(r.version, Math.max(newest.get(r.version) ?? 0, r.built_at));
    const kept = new Set(
      [...newest.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, keep)
        .map(([v]) => v),
    );
    drop.push(...list.filter((r) => !kept.has(r.version)));
  }
  return drop;
}

/** Blobs no remaining record names. */
export function unreferencedBlobs(dropped: PackageRecord[], remaining: PackageRecord[]): string[] {
  const used = new Set(remaining.flatMap((r) => r.files.map((f) => f.sha256)));
  return [...new Set(dropped.flatMap((r) => r.files.map((f) => f.sha256)))].filter(
    (s) => !used.has(s),
  );
}
