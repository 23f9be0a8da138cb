import type { PkgbuildInfo } from './pkgbuild-info.ts';

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
