import type { CachedPackage } from '../../../shared/api/dashboard-types.ts';

/** One platform with a cached package of a worker: `os/arch` plus the accelerator kinds. */
export type CachedPlatform = { platform: string; versions: string[]; count: number };

/** What a cache key's platform facts read as: `linux/x86_64`, `linux/x86_64+cuda`. */
export const platformOf = (facts: CachedPackage['facts']) =>
  `${facts.os}/${facts.arch}${facts.accelerators.length ? `+${[...facts.accelerators].sort().join('+')}` : ''}`;

/**
 * The platforms that have a cached package of `worker`, each with its versions newest first
 * (the list is newest first already) and how many packages it has; sorted by platform.
 * @example cachedPlatforms(packages, 'rbee-hello-worker') // [{ platform: 'linux/x86_64', versions: ['1.0.0-1'], count: 1 }]
 */
export function cachedPlatforms(packages: CachedPackage[], worker: string): CachedPlatform[] {
  const by = new Map<string, CachedPlatform>();
  for (const p of packages) {
    if (p.worker !== worker || !p.facts) continue;
    const platform = platformOf(p.facts);
    const entry = by.get(platform) ?? { platform, versions: [], count: 0 };
    entry.count++;
    if (!entry.versions.includes(p.version)) entry.versions.push(p.version);
    by.set(platform, entry);
  }
  return [...by.values()].sort((a, b) => a.platform.localeCompare(b.platform));
}
