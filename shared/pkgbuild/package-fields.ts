import type { FieldValue, Pkgbuild } from './parse-pkgbuild.ts';
import { ARCH_MULTI, SCHEMA_ARRAYS, SCHEMA_STRINGS } from './schema.ts';

const ARRAYS = new Set(SCHEMA_ARRAYS);

/**
 * The effective fields of one package on one architecture, as makepkg uses them when it builds
 * that package: global values, replaced by the package function's overrides, with each
 * `<field>_<carch>` array appended to `<field>` (makepkg's merge_arch_attrs). Strings are
 * strings, arrays are arrays; unset fields are absent.
 * @example packageFields(p, 'foo-libs', 'x86_64').depends // ['glibc', 'zlib']
 */
export function packageFields(
  pkgbuild: Pkgbuild,
  pkgname: string,
  carch?: string,
): Record<string, FieldValue> {
  const pkg = pkgbuild.packages.find((p) => p.name === pkgname);
  if (!pkg)
    throw new RangeError(
      `Cannot find package ${pkgname}: the PKGBUILD builds ${pkgbuild.pkgnames.join(', ')}`,
    );
  const out: Record<string, FieldValue> = {};
  for (const key of [...SCHEMA_STRINGS, ...SCHEMA_ARRAYS]) {
    const v = key in pkg.overrides ? pkg.overrides[key] : pkgbuild.fields[key];
    if (v === undefined) continue;
    out[key] = ARRAYS.has(key)
      ? typeof v === 'string'
        ? [v]
        : [...v]
      : typeof v === 'string'
        ? v
        : (v[0] ?? '');
  }
  out.pkgbase = pkgbuild.pkgbase;
  out.pkgname = pkgname;
  if (carch !== undefined) {
    for (const key of ARCH_MULTI) {
      const archKey = `${key}_${carch}`;
      const v = archKey in pkg.overrides ? pkg.overrides[archKey] : pkgbuild.fields[archKey];
      if (v === undefined) continue;
      const extra = typeof v === 'string' ? [v] : v;
      const base = out[key];
      out[key] = [
        ...(base === undefined ? [] : typeof base === 'string' ? [base] : base),
        ...extra,
      ];
    }
  }
  return out;
}
