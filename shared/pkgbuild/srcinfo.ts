import type { FieldValue, Pkgbuild } from './parse-pkgbuild.ts';
import {
  ARCH_MULTI,
  GLOBAL_MULTI,
  GLOBAL_SINGLE,
  PACKAGE_MULTI,
  PACKAGE_SINGLE,
} from './schema.ts';

const NEEDS_FOLD = /[\t\n\v\f\r]| {2}|^ | $/;

/** `<field>_<arch>` for every per-architecture field, built once per architecture. */
const archKeyCache = new Map<string, string[]>();
export function archKeys(arch: string): string[] {
  let keys = archKeyCache.get(arch);
  if (!keys) {
    keys = ARCH_MULTI.map((key) => `${key}_${arch}`);
    if (archKeyCache.size > 256) archKeyCache.clear();
    archKeyCache.set(arch, keys);
  }
  return keys;
}

/** srcinfo_write_attr's folding: runs of whitespace become one space, one leading and one trailing space go. */
function fold(value: string): string {
  if (!NEEDS_FOLD.test(value)) return value;
  let v = value.replace(/[ \t\n\v\f\r]+/g, ' ');
  if (v.startsWith(' ')) v = v.slice(1);
  if (v.endsWith(' ')) v = v.slice(0, -1);
  return v;
}

function attr(out: string[], key: string, values: string[]): void {
  // printf with no values still prints the format once: an empty override is `key = `.
  if (values.length === 0) out.push(`\t${key} = \n`);
  for (const v of values) out.push(`\t${key} = ${fold(v)}\n`);
}

function asList(v: FieldValue): string[] {
  return typeof v === 'string' ? [v] : v;
}

/** `$name` of a global: a string, or element 0 of an array. */
function scalar(v: FieldValue | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : (v[0] ?? '');
}

/**
 * Prints the `.SRCINFO` that `makepkg --printsrcinfo` prints for the same PKGBUILD, byte for
 * byte: makepkg's field order, tab indentation, whitespace folding, one line per array item,
 * per-architecture fields after the plain ones, then one section per package.
 * @example printSrcinfo(parsePkgbuild(text)).split('\n')[0] // 'pkgbase = hello'
 */
export function printSrcinfo(pkgbuild: Pkgbuild): string {
  const out: string[] = [`pkgbase = ${pkgbuild.pkgbase}\n`];
  // Asking a field object for every schema name is mostly misses, each a walk up the prototype
  // chain of an object whose shape differs per PKGBUILD; a Map of the few keys it has is cheaper.
  const f = present(pkgbuild.fields);
  for (const key of GLOBAL_SINGLE) {
    const v = scalar(f.get(key));
    if (v) attr(out, key, [v]);
  }
  for (const key of GLOBAL_MULTI) {
    const v = f.get(key);
    if (v !== undefined && asList(v).length > 0) attr(out, key, asList(v));
  }
  const arch = f.get('arch');
  for (const a of arch === undefined ? [] : asList(arch)) {
    if (a === 'any') continue;
    for (const key of archKeys(a)) {
      const v = f.get(key);
      if (v !== undefined && asList(v).length > 0) attr(out, key, asList(v));
    }
  }
  for (const pkg of pkgbuild.packages) {
    out.push('\n', `pkgname = ${pkg.name}\n`);
    const o = present(pkg.overrides);
    if (o.size > 0) {
      for (const key of PACKAGE_KEYS) {
        const v = o.get(key);
        if (v !== undefined) attr(out, key, asList(v));
      }
    }
    for (const a of pkg.arch) {
      if (a === 'any' || o.size === 0) continue;
      for (const key of archKeys(a)) {
        const v = o.get(key);
        if (v !== undefined) attr(out, key, asList(v));
      }
    }
  }
  return out.join('');
}

const PACKAGE_KEYS = [...PACKAGE_SINGLE, ...PACKAGE_MULTI];

/** The own keys an object has, as a Map (`Object.keys` reads V8's enum cache). */
function present(o: Record<string, FieldValue>): Map<string, FieldValue> {
  const m = new Map<string, FieldValue>();
  for (const k of Object.keys(o)) m.set(k, o[k]!);
  return m;
}
