/** The hash algorithms makepkg knows, in the order it checks them (util/schema.sh). */
export const HASH_ALGORITHMS = ['ck', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'b2'];

/**
 * What the executor needs from a PKGBUILD, read by bash itself sourcing it (the driver's
 * `info` phase), so values built by shell code are exactly what makepkg sees.
 */
export type PkgbuildInfo = {
  carch: string;
  chost: string;
  pkgnames: string[];
  pkgbase: string;
  pkgver: string;
  pkgrel: string;
  epoch: string;
  arch: string[];
  options: string[];
  noextract: string[];
  /** `source` then `source_$CARCH`, as makepkg's get_all_sources_for_arch. */
  sources: string[];
  /** The arrays as declared (undefined when not declared), by name: `source`, `sha256sums_x86_64`, … */
  arrays: Map<string, string[] | undefined>;
  functions: Set<string>;
};
