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

/** Reads the driver's fd-3 dump: per variable, name, count (-1 unset), elements, NUL-separated. */
export function parseInfoDump(dump: Buffer): PkgbuildInfo {
  const fields = dump.toString('utf8').split('\0');
  const arrays = new Map<string, string[] | undefined>();
  let i = 0;
  while (i + 1 < fields.length) {
    const name = fields[i]!;
    const count = Number(fields[i + 1]);
    i += 2;
    if (count < 0) arrays.set(name, undefined);
    else {
      arrays.set(name, fields.slice(i, i + count));
      i += count;
    }
  }
  const list = (name: string) => arrays.get(name) ?? [];
  const one = (name: string) => list(name)[0] ?? '';
  const carch = one('CARCH');
  const pkgnames = list('pkgname');
  return {
    carch,
    chost: one('CHOST'),
    pkgnames,
    pkgbase: one('pkgbase') || (pkgnames[0] ?? ''),
    pkgver: one('pkgver'),
    pkgrel: one('pkgrel'),
    epoch: one('epoch'),
    arch: list('arch'),
    options: list('options'),
    noextract: list('noextract'),
    sources: [...list('source'), ...list(`source_${carch}`)],
    arrays,
    functions: new Set(list('rbee_functions')),
  };
}

/**
 * The checks of makepkg's lint_pkgbuild that stop a build before it starts: names, version,
 * release, architecture and package functions. Returns the first problem, makepkg's words.
 */
export function lintPkgbuild(info: PkgbuildInfo): string | undefined {
  if (info.pkgnames.length === 0 || info.pkgnames.some((n) => n === '')) {
    return 'pkgname is not allowed to be empty.';
  }
  const bad = info.pkgnames.find(
    (n) => n.startsWith('-') || n.startsWith('.') || !/^[A-Za-z0-9@._+-]+$/.test(n),
  );
  if (bad !== undefined) return `pkgname contains invalid characters: '${bad}'`;
  if (info.pkgver === '') return 'pkgver is not allowed to be empty.';
  if (/[\s/:-]/.test(info.pkgver)) {
    return 'pkgver is not allowed to contain colons, forward slashes, hyphens or whitespace.';
  }
  if (info.pkgrel === '') return 'pkgrel is not allowed to be empty.';
  if (!/^[0-9]+(\.[0-9]+)?$/.test(info.pkgrel)) {
    return `pkgrel must be of the form 'integer[.integer]', not ${info.pkgrel}.`;
  }
  if (info.epoch !== '' && !/^[0-9]+$/.test(info.epoch)) {
    return `epoch must be an integer, not ${info.epoch}.`;
  }
  if (info.arch.includes('any')) {
    if (info.arch.length > 1) return "Can not use 'any' architecture with other architectures";
  } else if (!info.arch.includes(info.carch)) {
    return `${info.pkgbase} is not available for the '${info.carch}' architecture.`;
  }
  const has = (f: string) => info.functions.has(f);
  if (info.pkgnames.length === 1) {
    const name = info.pkgnames[0]!;
    if (has('package') && has(`package_${name}`)) {
      return `Conflicting package() and package_${name}() functions in PKGBUILD`;
    }
    if (has('build') && !has('package') && !has(`package_${name}`)) {
      return 'Missing package() function in PKGBUILD';
    }
  } else {
    if (has('package')) return `Extra package() function for split package '${info.pkgbase}'`;
    const missing = info.pkgnames.find((n) => !has(`package_${n}`));
    if (missing !== undefined) {
      return `Missing package_${missing}() function for split package '${missing}'`;
    }
  }
  return undefined;
}
