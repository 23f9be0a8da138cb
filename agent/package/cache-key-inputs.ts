import type { CatalogEntry } from '../../shared/catalog/schema.ts';
import type { Pkgbuild } from '../../shared/pkgbuild/index.ts';
import { HASH_ALGOS } from '../../shared/pkgbuild/schema.ts';
import type { PlatformInfo } from '../../shared/protocol/index.ts';
import { type CacheKeyInput, cacheKey, type KeySource } from '../../shared/repo/cache-key.ts';
import type { KeyFacts } from '../../shared/repo/package-record.ts';
import { sha256Text } from './sha256-text.ts';

export type KeyContext = {
  entry: CatalogEntry;
  pkgbuild: Pkgbuild;
  /** The PKGBUILD's text as fetched (and verified). */
  text: string;
  platform: PlatformInfo;
  carch: string;
  /** Fetches a local source file from the catalog (`/workers/<id>/files/<name>`). */
  fetchLocal: (name: string) => Promise<Uint8Array>;
  /** Builder options that change the package. */
  options: Record<string, string>;
};

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/**
 * What pins each source's content: its checksum from the PKGBUILD (the first integrity array
 * that has one, in makepkg's order); for a `SKIP` local file, the sha256 of the catalog's copy;
 * for a `SKIP` VCS source, its URL with the fragment (a `#commit=` pins it, a `#branch=` means
 * every hive with this key installs the one build of that branch).
 */
export async function keySources(k: KeyContext): Promise<KeySource[]> {
  const specs = [...k.pkgbuild.sources, ...(k.pkgbuild.archSources[k.carch] ?? [])];
  const sums = HASH_ALGOS.map(
    (a) =>
      [
        a,
        [...list(k.pkgbuild.fields[`${a}sums`]), ...list(k.pkgbuild.fields[`${a}sums_${k.carch}`])],
      ] as const,
  );
  const out: KeySource[] = [];
  for (const [i, spec] of specs.entries()) {
    const sum = sums.find(([, values]) => values[i] !== undefined && values[i] !== 'SKIP');
    if (sum) out.push({ source: spec.raw, pin: `${sum[0]}:${sum[1][i]}` });
    else if (spec.isLocal)
      out.push({ source: spec.raw, pin: `sha256:${sha256Text(await k.fetchLocal(spec.url))}` });
    else out.push({ source: spec.raw, pin: `url:${spec.url}` });
  }
  return out;
}

/** The facts of this hive and PKGBUILD the package depends on. */
export function keyFacts(k: KeyContext): KeyFacts {
  return {
    os: k.platform.os,
    arch: k.carch,
    accelerators: k.platform.accelerators.map((a) => a.kind),
    worker_type: k.entry.worker_type,
    pkgver: k.pkgbuild.pkgver,
    pkgrel: k.pkgbuild.pkgrel,
    epoch: k.pkgbuild.epoch,
    pkgbuild_sha256: sha256Text(k.text),
  };
}

/** The cache key of this install on this hive, with the facts it was made from. */
export async function installCacheKey(
  k: KeyContext,
): Promise<{ key: string; facts: KeyFacts; input: CacheKeyInput }> {
  const facts = keyFacts(k);
  const input: CacheKeyInput = {
    worker: k.entry.id,
    facts,
    sources: await keySources(k),
    options: k.options,
  };
  return { key: await cacheKey(input), facts, input };
}
