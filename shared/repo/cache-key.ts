import type { KeyFacts } from './package-record.ts';

/** One source of the build as the key sees it: its name or URL and what pins its content. */
export type KeySource = { source: string; pin: string };

export type CacheKeyInput = {
  worker: string;
  facts: KeyFacts;
  /** In the PKGBUILD's order for the build's architecture. */
  sources: KeySource[];
  /** Builder options that change the package (`nocheck`, PKGEXT…), as name=value. */
  options: Record<string, string>;
};

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** JSON with object keys sorted, so equal inputs always give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The package cache key: SHA-256 of the worker, the PKGBUILD, every source's pin, the platform
 * facts the package depends on and the builder options. Two hives that would build the same
 * thing get the same key; any difference gives another.
 * @example await cacheKey({ worker: 'rbee-hello-worker', facts, sources, options: {} }) // '3f…'
 */
export async function cacheKey(input: CacheKeyInput): Promise<string> {
  const facts = { ...input.facts, accelerators: [...input.facts.accelerators].sort() };
  const text = canonical({ v: 1, ...input, facts });
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}
