import type { PkgbuildInfo } from './pkgbuild-info.ts';

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
