import { parseBash } from './bash-parser.ts';
import { type EvaluateOptions, evaluate } from './evaluate.ts';
import { lintPkgbuild } from './lint.ts';
import { isFieldName } from './package-overrides.ts';
import { fail, locate, ParseError, PendingError } from './parse-error.ts';
import { elements, PkgbuildContext } from './pkgbuild-context.ts';
import {
  ARCH_ARRAY_SET,
  PACKAGE_MULTI,
  PACKAGE_SINGLE,
  SCHEMA_ARRAYS,
  SCHEMA_STRINGS,
} from './schema.ts';
import { parseSource, type SourceSpec } from './source.ts';
import { archKeys } from './srcinfo.ts';

/** A field's value: schema strings are strings, schema arrays are arrays. */
export type FieldValue = string | string[];

export type ParseOptions = {
  /** makepkg.conf's CARCH. When absent, a PKGBUILD that reads $CARCH at the top level is refused. */
  carch?: string;
  /** Name used in diagnostics; `PKGBUILD` by default. */
  filename?: string;
  /** Enables lint_install/lint_changelog: whether a path relative to the PKGBUILD is a regular file. */
  fileExists?: (path: string) => boolean;
  /** Longest PKGBUILD accepted, in characters (default 1 MiB; real ones are a few KiB). */
  maxLength?: number;
  /** Most for-loop iterations evaluated (default 10,000). */
  maxLoopIterations?: number;
  /** Most words one brace expansion may make (default 10,000). */
  maxBraceWords?: number;
  /** Most characters one variable may hold, an array counting its elements (default 1 MiB). */
  maxValueLength?: number;
  /** Most characters pattern matching (`${x//a/b}`, `case`, `[[ == ]]`) may scan (default 50 million). */
  maxMatchSteps?: number;
};

export const DEFAULT_MAX_LENGTH = 1024 * 1024;

/** A function the PKGBUILD defines, with its body as written. */
export type PkgbuildFunction = { name: string; body: string; line: number; column: number };

/** One `pkgname = …` section: what makepkg reads from the package's function. */
export type PackageSection = {
  name: string;
  /** `package_<name>`, or `package` when makepkg falls back to it; undefined when neither exists. */
  functionName?: string;
  /** The package's architectures: global `arch` with its override applied. */
  arch: string[];
  /**
   * Fields the package function overrides, with their effective values (global value plus `+=`),
   * exactly those makepkg prints in the section. An empty override is `''` or `[]`.
   */
  overrides: Record<string, FieldValue>;
};

/**
 * A PKGBUILD as makepkg reads it. `fields` holds every schema variable the PKGBUILD sets,
 * including per-architecture arrays (`depends_x86_64`), with the kind it was given.
 */
export type Pkgbuild = {
  pkgbase: string;
  pkgnames: string[];
  pkgver: string;
  pkgrel: string;
  epoch: string;
  fields: Record<string, FieldValue>;
  /** Per-architecture arrays by architecture: `archFields.x86_64.depends`. */
  archFields: Record<string, Record<string, string[]>>;
  packages: PackageSection[];
  functions: Record<string, PkgbuildFunction>;
  /** `source` parsed with makepkg's source grammar. */
  sources: SourceSpec[];
  /** `source_<arch>` parsed, by architecture. */
  archSources: Record<string, SourceSpec[]>;
  /** Every variable the PKGBUILD leaves set at the top level (schema or not). */
  variables: Record<string, FieldValue>;
};

const SCHEMA_NAMES = new Set([...SCHEMA_ARRAYS, ...SCHEMA_STRINGS]);
/** Characters glibc's C.UTF-8 iswspace() counts as space beyond ASCII: srcinfo would fold them. */
const UNICODE_SPACE = /[\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;

/**
 * Parses a PKGBUILD without bash into what makepkg would read, applying the lint rules of
 * `makepkg --printsrcinfo`. Throws ParseError for anything makepkg refuses or that cannot be
 * decided statically.
 * @example
 * const p = parsePkgbuild('pkgname=hello\npkgver=1.0\npkgrel=1\narch=(any)\npackage() { :; }\n')
 * p.pkgbase // 'hello'
 * p.fields.arch // ['any']
 */
export function parsePkgbuild(text: string, options: ParseOptions = {}): Pkgbuild {
  try {
    return parseUnlocated(text, options);
  } catch (error) {
    if (error instanceof PendingError) {
      const { line, column } = locate(text, error.offset);
      const o = error.origin;
      const origin = o ? { ...locate(text, o.offset), reason: o.reason } : undefined;
      throw new ParseError(error.code, error.reason, line, column, options.filename, origin);
    }
    if (error instanceof ParseError) throw error;
    // Deep nesting can overflow the stack: still a refusal, never a crash.
    if (error instanceof RangeError) {
      throw new ParseError('UNEXPECTED_TOKEN', 'nesting too deep to parse', 1, 1, options.filename);
    }
    throw error;
  }
}

function parseUnlocated(text: string, options: ParseOptions): Pkgbuild {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > maxLength) {
    fail(
      'LIMIT_EXCEEDED',
      `PKGBUILD is ${text.length} characters, more than ${maxLength} (maxLength)`,
      0,
    );
  }
  const cr = text.indexOf('\r');
  if (cr !== -1) fail('CRLF', 'PKGBUILD contains CRLF characters and cannot be sourced.', cr);
  const script = parseBash(text);
  const evalOptions: EvaluateOptions = {};
  if (options.carch !== undefined) evalOptions.carch = options.carch;
  if (options.maxLoopIterations !== undefined)
    evalOptions.maxLoopIterations = options.maxLoopIterations;
  if (options.maxBraceWords !== undefined) evalOptions.maxBraceWords = options.maxBraceWords;
  if (options.maxValueLength !== undefined) evalOptions.maxValueLength = options.maxValueLength;
  if (options.maxMatchSteps !== undefined) evalOptions.maxMatchSteps = options.maxMatchSteps;
  const state = evaluate(script, evalOptions);
  for (const [name, u] of state.unknown) {
    if (name !== 'pkgname' && !isFieldName(name)) continue;
    if (u.direct) {
      // The unknown part is in the field's own assignment: one place names both.
      fail(u.origin.code, u.origin.reason, u.origin.offset);
    }
    throw new PendingError(
      u.origin.code,
      `'${name}' is printed in the .SRCINFO but its value cannot be known statically`,
      u.at,
      u.origin,
    );
  }
  state.unknownStatus?.();
  const ctx = new PkgbuildContext(text, script, state, state.scope);

  // makepkg: pkgbase=${pkgbase:-${pkgname[0]}}
  const pkgbase = ctx.string('pkgbase') || (ctx.pkgnames[0] ?? '');
  const old = state.vars.get('pkgbase');
  if (old?.kind === 'array') {
    const values = [...old.values];
    values[0] = pkgbase;
    state.vars.set('pkgbase', { kind: 'array', values });
  } else state.vars.set('pkgbase', { kind: 'string', value: pkgbase });

  const lintOptions = options.fileExists ? { fileExists: options.fileExists } : {};
  lintPkgbuild(ctx, lintOptions);

  const packages = ctx.pkgnames.map((name) => packageSection(ctx, name));
  const fields: Record<string, FieldValue> = {};
  const archFields: Record<string, Record<string, string[]>> = {};
  const variables: Record<string, FieldValue> = {};
  const archSet = new Set(ctx.arch);
  for (const [name, v] of state.vars) {
    const value = v.kind === 'string' ? v.value : [...v.values];
    variables[name] = value;
    if (SCHEMA_NAMES.has(name)) {
      fields[name] = value;
      continue;
    }
    const u = name.indexOf('_');
    const base = u > 0 ? name.slice(0, u) : '';
    if (u > 0 && ARCH_ARRAY_SET.has(base)) {
      const a = name.slice(u + 1);
      fields[name] = value;
      if (archSet.has(a)) {
        archFields[a] ??= {};
        archFields[a][base] = elements(v);
      }
    }
  }
  guardPrintedSpaces(fields, packages, scopeAt(ctx));
  const functions: Record<string, PkgbuildFunction> = {};
  const lines = lineStarts(text);
  for (const [name, fn] of state.functions) {
    const { line, column } = locateIn(lines, fn.start);
    functions[name] = { name, body: fn.bodyText, line, column };
  }
  const archSources: Record<string, SourceSpec[]> = {};
  for (const a of ctx.arch) {
    const list = ctx.values(`source_${a}`);
    if (list.length) archSources[a] = list.map(parseSource);
  }
  return {
    pkgbase,
    pkgnames: ctx.pkgnames,
    pkgver: ctx.string('pkgver'),
    pkgrel: ctx.string('pkgrel'),
    epoch: ctx.string('epoch'),
    fields,
    archFields,
    packages,
    functions,
    sources: ctx.values('source').map(parseSource),
    archSources,
    variables,
  };
}

/** Offsets where each line starts: one pass, then every function is located by binary search. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** `locate` over precomputed line starts (same 1-based line and column). */
function locateIn(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** srcinfo_write_section_details for one package: the overrides makepkg prints. */
function packageSection(ctx: PkgbuildContext, name: string): PackageSection {
  const fn = ctx.packageFunction(name);
  const overrides: Record<string, FieldValue> = {};
  // Most packages have no override line at all: then no field is asked for.
  const any = ctx.hasOverrideLines(name);
  if (any) {
    for (const attr of PACKAGE_SINGLE) takeOverride(ctx, name, overrides, attr, false);
    for (const attr of PACKAGE_MULTI) takeOverride(ctx, name, overrides, attr, true);
  }
  const arch = elements(ctx.attribute(name, 'arch', true).value);
  for (const a of any ? arch : []) {
    if (a === 'any') continue;
    for (const key of archKeys(a)) takeOverride(ctx, name, overrides, key, true);
  }
  const section: PackageSection = { name, arch, overrides };
  if (fn) section.functionName = fn.name;
  return section;
}

/** One field of a package section, when an override line names it. */
function takeOverride(
  ctx: PkgbuildContext,
  name: string,
  overrides: Record<string, FieldValue>,
  attr: string,
  isArray: boolean,
): void {
  // Most fields have no override line: skip building the global value just to learn that.
  if (!ctx.overrideExists(name, attr)) return;
  const r = ctx.attribute(name, attr, isArray);
  if (r.matched) overrides[attr] = isArray ? elements(r.value) : (elements(r.value)[0] ?? '');
}

function scopeAt(ctx: PkgbuildContext) {
  return (name: string) => ctx.at(name);
}

function guardPrintedSpaces(
  fields: Record<string, FieldValue>,
  packages: PackageSection[],
  at: (name: string) => number,
): void {
  checkSpaces(fields, at);
  for (const p of packages) checkSpaces(p.overrides, at);
}

function checkSpaces(fields: Record<string, FieldValue>, at: (name: string) => number): void {
  for (const name of Object.keys(fields)) {
    const v = fields[name]!;
    if (typeof v === 'string' ? UNICODE_SPACE.test(v) : v.some(hasUnicodeSpace)) {
      fail(
        'LOCALE_DEPENDENT',
        `${name} contains a Unicode space that makepkg folds by locale`,
        at(name),
      );
    }
  }
}

function hasUnicodeSpace(s: string): boolean {
  return UNICODE_SPACE.test(s);
}
