import type { Value } from './expand.ts';
import { isFieldName, type OverrideLine } from './package-overrides.ts';
import { fail, type ParseErrorCode } from './parse-error.ts';
import { elements, type PkgbuildContext } from './pkgbuild-context.ts';
import {
  ARCH_ARRAY_SET,
  ARRAY_SET,
  KNOWN_OPTIONS,
  OVERRIDE_SET,
  SCHEMA_ARCH_ARRAYS,
  SCHEMA_ARRAYS,
  SCHEMA_STRINGS,
  STRING_SET,
} from './schema.ts';

export type LintOptions = {
  /** Whether a file exists next to the PKGBUILD (lint_install, lint_changelog); skipped when absent. */
  fileExists?: (path: string) => boolean;
};

/** A value with where it was set, so a lint failure points at the right line. */
type Located = { value: string; at: number };

const NON_ASCII = /[^\x00-\x7f]/;

/** Schema names that may not be per-architecture, and those a package function may not set. */
const NOT_ARCH = [...SCHEMA_ARRAYS, ...SCHEMA_STRINGS].filter((i) => !ARCH_ARRAY_SET.has(i));
const NOT_OVERRIDE = [...SCHEMA_ARRAYS, ...SCHEMA_STRINGS].filter((i) => !OVERRIDE_SET.has(i));
const OPTION_NAMES = new Set(KNOWN_OPTIONS.flatMap((k) => [k, `!${k}`]));

/**
 * `${i}_${a}` for every name of `names`, made once per list and architecture: lint asks about
 * each per-architecture name of each architecture on every parse.
 */
const suffixCache = new Map<string[], Map<string, string[]>>();
function suffixed(names: string[], a: string): string[] {
  let byArch = suffixCache.get(names);
  if (!byArch) {
    byArch = new Map();
    suffixCache.set(names, byArch);
  }
  let list = byArch.get(a);
  if (!list) {
    list = names.map((i) => `${i}_${a}`);
    if (byArch.size > 256) byArch.clear();
    byArch.set(a, list);
  }
  return list;
}

/**
 * makepkg 6.0.2's lint_pkgbuild as `--printsrcinfo` runs it (IGNOREARCH set), in its order;
 * the first failure is thrown with makepkg's own wording.
 * @example lintPkgbuild(ctx) // throws ParseError LINT_PKGREL for pkgrel=1-1
 */
export function lintPkgbuild(ctx: PkgbuildContext, options: LintOptions = {}): void {
  // The order makepkg fills lint_pkgbuild_functions in: files source their helpers (pkgname.sh,
  // pkgrel.sh, …) before registering themselves, so this is not alphabetical.
  lintArch(ctx);
  lintArchSpecific(ctx);
  lintBackup(ctx);
  lintFiles(ctx, 'changelog', options);
  lintEpoch(ctx);
  checkPkgrel(ctx.string('pkgrel'), '', ctx.at('pkgrel'));
  checkPkgver(ctx.string('pkgver'), '', ctx.at('pkgver'));
  lintPkgname(ctx);
  for (const attr of ['checkdepends', 'conflicts', 'depends']) lintDependencies(ctx, attr);
  lintFiles(ctx, 'install', options);
  for (const attr of ['makedepends', 'optdepends']) lintDependencies(ctx, attr);
  lintOptions(ctx);
  lintPackageFunction(ctx);
  lintPackageFunctionVariable(ctx);
  const pkgbase = ctx.string('pkgbase');
  if (pkgbase) lintOneName(ctx, 'pkgbase', pkgbase, ctx.at('pkgbase'));
  lintDependencies(ctx, 'provides');
  lintVariable(ctx);
}

function lintArch(ctx: PkgbuildContext): void {
  const arch = ctx.arch;
  if (arch.includes('any')) {
    if (arch.length === 1) return;
    fail('LINT_ARCH', "Can not use 'any' architecture with other architectures", ctx.at('arch'));
  }
  for (const a of arch) {
    if (NON_ASCII.test(a)) {
      fail(
        'LOCALE_DEPENDENT',
        `arch '${a}' is valid or not depending on the locale`,
        ctx.at('arch'),
      );
    }
    if (/[^A-Za-z0-9_]/.test(a)) {
      fail(
        'LINT_ARCH',
        `arch contains invalid characters: '${a.replace(/[A-Za-z0-9_]/g, '')}'`,
        ctx.at('arch'),
      );
    }
  }
}

function anyMsg(v: string): string {
  return `Can not provide architecture specific variables for the 'any' architecture: ${v}`;
}

/** `for a in ${arch[@]}`: unquoted, so split on whitespace. */
function archWords(ctx: PkgbuildContext): string[] {
  ctx.archWords ??= splitWords(ctx.arch);
  return ctx.archWords;
}

/** `${pkgname[@]}` unquoted: the names split on whitespace. */
function pkgnameWords(ctx: PkgbuildContext): string[] {
  ctx.pkgnameWords ??= splitWords(ctx.pkgnames);
  return ctx.pkgnameWords;
}

const IFS_RUN = /[ \t\n]+/;
const IFS_CHAR = /[ \t\n]/;

/** The elements split on IFS whitespace, empty fields dropped; the list itself when none splits. */
function splitWords(list: string[]): string[] {
  let plain = true;
  for (const v of list) {
    if (v === '' || IFS_CHAR.test(v)) {
      plain = false;
      break;
    }
  }
  if (plain) return list;
  const out: string[] = [];
  for (const v of list) for (const w of v.split(IFS_RUN)) if (w) out.push(w);
  return out;
}

/** Whether any variable or override line could be `<field>_<arch>`: most PKGBUILDs have few. */
function hasSuffixedNames(ctx: PkgbuildContext): boolean {
  for (const name of ctx.state.vars.keys())
    if (name.includes('_') && isFieldName(name)) return true;
  for (const pkg of ctx.pkgnames) {
    for (const line of ctx.lines(pkg)) if (line.name.includes('_')) return true;
  }
  return false;
}

const NOT_ARCH_SET = new Set(NOT_ARCH);

/**
 * Whether `name` could be one lintArchSpecific refuses: `<not-arch name>_<arch>`, or
 * `<arch array>_any` (no schema name holds a `_`, so the first one splits it).
 */
function mayBeArchSpecific(name: string): boolean {
  const u = name.indexOf('_');
  if (u <= 0) return false;
  const base = name.slice(0, u);
  return NOT_ARCH_SET.has(base) || (ARCH_ARRAY_SET.has(base) && name.slice(u + 1) === 'any');
}

function lintArchSpecific(ctx: PkgbuildContext): void {
  if (!hasSuffixedNames(ctx)) return;
  const others = NOT_ARCH;
  let globals = false;
  for (const name of ctx.state.vars.keys()) if (mayBeArchSpecific(name)) globals = true;
  for (const a of globals ? archWords(ctx) : []) {
    if (a === 'any') {
      for (const v of suffixed(SCHEMA_ARCH_ARRAYS, a)) {
        if (ctx.declared(v)) fail('LINT_ARCH_SPECIFIC', anyMsg(v), ctx.at(v));
      }
    }
    const names = suffixed(others, a);
    for (let k = 0; k < names.length; k++) {
      const v = names[k]!;
      if (ctx.declared(v))
        fail(
          'LINT_ARCH_SPECIFIC',
          `${others[k]} can not be architecture specific: ${v}`,
          ctx.at(v),
        );
    }
  }
  for (const pkg of pkgnameWords(ctx)) {
    const lines = ctx.lines(pkg);
    if (lines.length === 0 || !lines.some(lineMayBeArchSpecific)) continue;
    for (const a of archWords(ctx)) {
      if (a === 'any') {
        for (const v of suffixed(SCHEMA_ARCH_ARRAYS, a)) {
          const line = ctx.overrideExists(pkg, v);
          if (line) fail('LINT_ARCH_SPECIFIC', anyMsg(v), line.assign.start);
        }
      }
      const names = suffixed(others, a);
      for (let k = 0; k < names.length; k++) {
        const line = ctx.overrideExists(pkg, names[k]!);
        if (line) {
          fail(
            'LINT_ARCH_SPECIFIC',
            `${others[k]} can not be architecture specific: ${names[k]}`,
            line.assign.start,
          );
        }
      }
    }
  }
}

function lineMayBeArchSpecific(line: OverrideLine): boolean {
  return mayBeArchSpecific(line.name);
}

/** The global pkgname, as `$pkgname` reads inside lint functions that do not shadow it. */
function globalPkgname(ctx: PkgbuildContext): Value {
  return ctx.state.vars.get('pkgname') ?? { kind: 'string', value: '' };
}

/** Global values plus each package's override values (extract_function_variable into `list`). */
function withOverrides(ctx: PkgbuildContext, attr: string): Located[] {
  const out: Located[] = ctx.values(attr).map((value) => ({ value, at: ctx.at(attr) }));
  let list: Value = { kind: 'array', values: [] };
  for (const pkg of ctx.pkgnames) {
    const r = ctx.functionValue(pkg, attr, true, list, globalPkgname(ctx));
    list = r.value;
    if (r.matched) {
      const at = ctx.overrideLine(pkg, attr, true)!.assign.start;
      for (const value of elements(list)) out.push({ value, at });
    }
  }
  return out;
}

function lintBackup(ctx: PkgbuildContext): void {
  for (const { value, at } of withOverrides(ctx, 'backup')) {
    if (value.startsWith('/')) {
      fail('LINT_BACKUP', `backup entry should not contain leading slash : ${value}`, at);
    }
  }
}

function lintFiles(
  ctx: PkgbuildContext,
  kind: 'install' | 'changelog',
  options: LintOptions,
): void {
  const files: Located[] = ctx.values(kind).map((value) => ({ value, at: ctx.at(kind) }));
  // lint_install and lint_changelog reuse one `file` variable across packages, as here.
  let file: Value = { kind: 'string', value: '' };
  let fileAt = 0;
  for (const pkg of ctx.pkgnames) {
    const r = ctx.functionValue(pkg, kind, false, file, { kind: 'string', value: pkg });
    file = r.value;
    if (r.matched) fileAt = ctx.overrideLine(pkg, kind, false)!.assign.start;
    if (r.matched || kind === 'install') files.push({ value: elements(file)[0] ?? '', at: fileAt });
  }
  if (!options.fileExists) return;
  for (const { value, at } of files) {
    if (value && !options.fileExists(value)) {
      fail(
        kind === 'install' ? 'LINT_INSTALL' : 'LINT_CHANGELOG',
        `${kind} file (${value}) does not exist or is not a regular file.`,
        at,
      );
    }
  }
}

/** get_pkgbuild_all_split_attributes, including its reuse of `list` between lookups. */
function allSplitValues(ctx: PkgbuildContext, attr: string): Located[] {
  const out: Located[] = [];
  const names = [attr];
  for (const a of ctx.arch) names.push(`${attr}_${a}`);
  let list: Value = { kind: 'array', values: [] };
  for (const name of names) {
    const v = ctx.globalValue(name, true);
    if (!v) continue;
    list = v;
    for (const value of elements(v)) out.push({ value, at: ctx.at(name) });
  }
  const pkgname = globalPkgname(ctx);
  for (const pkg of ctx.pkgnames) {
    for (const name of names) {
      // No line for the name: extract_function_variable fails and leaves `list` as it was.
      if (!ctx.overrideExists(pkg, name)) continue;
      const r = ctx.functionValue(pkg, name, true, list, pkgname);
      list = r.value;
      if (!r.matched) continue;
      const at = ctx.overrideLine(pkg, name, true)!.assign.start;
      for (const value of elements(list)) out.push({ value, at });
    }
  }
  return out;
}

function codeFor(type: string): ParseErrorCode {
  if (type === 'pkgname') return 'LINT_PKGNAME';
  if (type === 'pkgbase') return 'LINT_PKGBASE';
  if (type === 'provides') return 'LINT_PROVIDES';
  return 'LINT_DEPENDENCY';
}

/** lint_one_pkgname: makepkg's rules for package names. */
function lintOneName(ctx: PkgbuildContext, type: string, name: string, at: number): void {
  void ctx;
  const code = codeFor(type);
  if (!name) fail(code, `${type} is not allowed to be empty.`, at);
  if (name[0] === '-') fail(code, `${type} is not allowed to start with a hyphen.`, at);
  if (name[0] === '.') fail(code, `${type} is not allowed to start with a dot.`, at);
  if (NON_ASCII.test(name)) fail(code, `${type} may only contain ascii characters.`, at);
  if (/[^A-Za-z0-9+_.@-]/.test(name)) {
    fail(
      code,
      `${type} contains invalid characters: '${name.replace(/[A-Za-z0-9+_.@-]/g, '')}'`,
      at,
    );
  }
}

function lintDependencies(ctx: PkgbuildContext, attr: string): void {
  for (const { value, at } of allSplitValues(ctx, attr)) {
    if (attr === 'provides') {
      if (/[<>]/.test(value)) {
        fail('LINT_PROVIDES', 'provides array cannot contain comparison (< or >) operators.', at);
      }
      const eq = value.lastIndexOf('=');
      const name = eq === -1 ? value : value.slice(0, eq);
      lintOneName(ctx, attr, name, at);
      if (name !== value) checkFullPkgver(value.slice(name.length + 1), attr, at);
      continue;
    }
    let dep = value;
    if (attr === 'optdepends') {
      const m = /:[ \t\n\v\f\r]/.exec(dep);
      if (m) dep = dep.slice(0, m.index);
    }
    const cut = dep.search(/[<>=]/);
    const name = cut === -1 ? dep : dep.slice(0, cut);
    lintOneName(ctx, attr, name, at);
    if (name === dep) continue;
    const rest = dep.slice(name.length);
    const ver = rest.startsWith('>=') || rest.startsWith('<=') ? rest.slice(2) : rest.slice(1);
    // lint_depends skips an empty version (FS#58776); the others check it.
    if (attr === 'depends' && ver === '') continue;
    checkFullPkgver(ver, attr, at);
  }
}

/** check_fullpkgver: `[epoch:]pkgver[-pkgrel]` split the way pacman's parseEVR splits it. */
function checkFullPkgver(fullver: string, type: string, at: number): void {
  let ver = fullver;
  const colon = ver.indexOf(':');
  if (colon !== -1) {
    checkEpoch(ver.slice(0, colon), type, at);
    ver = ver.slice(colon + 1);
  }
  const dash = ver.lastIndexOf('-');
  if (dash > 0) {
    checkPkgrel(ver.slice(dash + 1), type, at);
    ver = ver.slice(0, dash);
  }
  checkPkgver(ver, type, at);
}

const inType = (type: string) => (type ? ` in ${type}` : '');

function checkEpoch(epoch: string, type: string, at: number): void {
  if (!/^[0-9]*$/.test(epoch)) {
    fail(
      type ? codeFor(type) : 'LINT_EPOCH',
      `epoch${inType(type)} must be an integer, not ${epoch}.`,
      at,
    );
  }
}

function checkPkgrel(rel: string, type: string, at: number): void {
  const code = type ? codeFor(type) : 'LINT_PKGREL';
  if (!rel) fail(code, `pkgrel${inType(type)} is not allowed to be empty.`, at);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(rel)) {
    fail(code, `pkgrel${inType(type)} must be of the form 'integer[.integer]', not ${rel}.`, at);
  }
}

function checkPkgver(ver: string, type: string, at: number): void {
  const code = type ? codeFor(type) : 'LINT_PKGVER';
  if (!ver) fail(code, `pkgver${inType(type)} is not allowed to be empty.`, at);
  if (/[ \t\n\v\f\r/:-]/.test(ver)) {
    fail(
      code,
      `pkgver${inType(type)} is not allowed to contain colons, forward slashes, hyphens or whitespace.`,
      at,
    );
  }
  if (NON_ASCII.test(ver))
    fail(code, `pkgver${inType(type)} may only contain ascii characters.`, at);
}

function lintEpoch(ctx: PkgbuildContext): void {
  checkEpoch(ctx.string('epoch'), '', ctx.at('epoch'));
}

function lintOptions(ctx: PkgbuildContext): void {
  for (const { value, at } of withOverrides(ctx, 'options')) {
    if (!OPTION_NAMES.has(value))
      fail('LINT_OPTIONS', `options array contains unknown option '${value}'`, at);
  }
}

function lintPackageFunction(ctx: PkgbuildContext): void {
  const names = ctx.pkgnames;
  const at = ctx.at('pkgname');
  if (names.length === 1) {
    const own = `package_${names[0]}`;
    if (ctx.hasFunction('package') && ctx.hasFunction(own)) {
      fail('LINT_PACKAGE_FUNCTION', `Conflicting package() and ${own}() functions in PKGBUILD`, at);
    }
    if (ctx.hasFunction('build') && !(ctx.hasFunction('package') || ctx.hasFunction(own))) {
      fail('LINT_PACKAGE_FUNCTION', 'Missing package() function in PKGBUILD', at);
    }
    return;
  }
  if (ctx.hasFunction('package')) {
    fail(
      'LINT_PACKAGE_FUNCTION',
      `Extra package() function for split package '${ctx.string('pkgbase')}'`,
      at,
    );
  }
  for (const name of names) {
    if (!ctx.hasFunction(`package_${name}`)) {
      fail(
        'LINT_PACKAGE_FUNCTION',
        `Missing package_${name}() function for split package '${name}'`,
        at,
      );
    }
  }
}

function refuseInPackage(name: string, at: number): never {
  return fail(
    'LINT_PACKAGE_FUNCTION_VARIABLE',
    `${name} can not be set inside a package function`,
    at,
  );
}

const NOT_OVERRIDE_SET = new Set(NOT_OVERRIDE);

/** Whether a line sets a name lintPackageFunctionVariable refuses, or `<such name>_<arch>`. */
function lineMayBeForbidden(line: OverrideLine): boolean {
  const name = line.name;
  const u = name.indexOf('_');
  return NOT_OVERRIDE_SET.has(u > 0 ? name.slice(0, u) : name);
}

function lintPackageFunctionVariable(ctx: PkgbuildContext): void {
  if (!ctx.pkgnames.some((pkg) => ctx.lines(pkg).length > 0)) return;
  const forbidden = NOT_OVERRIDE;
  for (const pkg of pkgnameWords(ctx)) {
    const lines = ctx.lines(pkg);
    if (lines.length === 0 || !lines.some(lineMayBeForbidden)) continue;
    for (const a of archWords(ctx)) {
      if (a === 'any') continue;
      for (const v of suffixed(forbidden, a)) {
        const line = ctx.overrideExists(pkg, v);
        if (line) refuseInPackage(v, line.assign.start);
      }
    }
    for (const i of forbidden) {
      const line = ctx.overrideExists(pkg, i);
      if (line) refuseInPackage(i, line.assign.start);
    }
  }
}

function lintPkgname(ctx: PkgbuildContext): void {
  const names = ctx.pkgnames;
  if (names.join(' ') === '') {
    fail('LINT_PKGNAME', 'pkgname is not allowed to be empty.', ctx.at('pkgname'));
  }
  for (const name of names) lintOneName(ctx, 'pkgname', name, ctx.at('pkgname'));
}

function bad(msg: string, at: number): never {
  return fail('LINT_VARIABLE_TYPE', msg, at);
}

/**
 * Whether lintVariable could fail on the globals: a schema array (or `<arch-array>_<suffix>`)
 * set as a string, or a schema string set as an array. Found from the few variables set, so the
 * ordered walk over every schema name runs only when one of them would fail.
 */
function globalTypeMismatch(ctx: PkgbuildContext): boolean {
  for (const [name, v] of ctx.state.vars) {
    if (v.kind === 'array' ? STRING_SET.has(name) : ARRAY_SET.has(name) || isArchArrayName(name)) {
      return true;
    }
  }
  return false;
}

/** The same for one package's override lines. */
function overrideTypeMismatch(ctx: PkgbuildContext, pkg: string): boolean {
  for (const line of ctx.lines(pkg)) {
    const name = line.name;
    if (line.arrayForm && STRING_SET.has(name)) return true;
    if (line.stringForm && (ARRAY_SET.has(name) || isArchArrayName(name))) return true;
  }
  return false;
}

/** `<name>_<anything>` for a per-architecture array name. */
function isArchArrayName(name: string): boolean {
  const u = name.indexOf('_');
  return u > 0 && ARCH_ARRAY_SET.has(name.slice(0, u));
}

function lintVariable(ctx: PkgbuildContext): void {
  if (globalTypeMismatch(ctx)) lintGlobalTypes(ctx);
  for (const pkg of pkgnameWords(ctx)) {
    if (ctx.lines(pkg).length === 0 || !overrideTypeMismatch(ctx, pkg)) continue;
    lintOverrideTypes(ctx, pkg);
  }
}

function lintGlobalTypes(ctx: PkgbuildContext): void {
  for (const i of SCHEMA_ARRAYS) {
    if (ctx.declared(i) && !ctx.isArray(i)) bad(`${i} should be an array`, ctx.at(i));
  }
  for (const a of archWords(ctx)) {
    if (a === 'any') continue;
    for (const v of suffixed(SCHEMA_ARCH_ARRAYS, a)) {
      if (ctx.declared(v) && !ctx.isArray(v)) bad(`${v} should be an array`, ctx.at(v));
    }
  }
  for (const i of SCHEMA_STRINGS) {
    if (ctx.declared(i) && ctx.isArray(i)) bad(`${i} should not be an array`, ctx.at(i));
  }
}

function lintOverrideTypes(ctx: PkgbuildContext, pkg: string): void {
  for (const i of SCHEMA_ARRAYS) {
    const line = ctx.overrideLine(pkg, i, false);
    if (line) bad(`${i} should be an array`, line.assign.start);
  }
  for (const a of archWords(ctx)) {
    if (a === 'any') continue;
    for (const i of SCHEMA_ARCH_ARRAYS) {
      const line = ctx.overrideLine(pkg, `${i}_${a}`, false);
      if (line) bad(`${i}_${a} should be an array`, line.assign.start);
    }
  }
  for (const i of SCHEMA_STRINGS) {
    const line = ctx.overrideLine(pkg, i, true);
    if (line) bad(`${i} should not be an array`, line.assign.start);
  }
}
