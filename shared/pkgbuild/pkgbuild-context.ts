import type { FunctionDef, Script } from './ast.ts';
import type { EvalState } from './evaluate.ts';
import type { Scope, Value } from './expand.ts';
import {
  evaluateOverride,
  type OverrideLine,
  overrideScope,
  scanOverrides,
} from './package-overrides.ts';

/**
 * The sourced PKGBUILD as makepkg's helper functions see it (util/pkgbuild.sh): global
 * variables, functions, and get_pkgbuild_attribute over package-function overrides.
 */
export class PkgbuildContext {
  private lineCache = new Map<string, OverrideLine[]>();
  private pkgCache = new Map<
    string,
    { all: OverrideLine[]; byName: Map<string, OverrideLine[]> }
  >();
  private pkgnameList: string[] | undefined;
  private archList: string[] | undefined;
  /** `${arch[@]}` and `${pkgname[@]}` split on whitespace, as lint's unquoted loops read them. */
  archWords: string[] | undefined;
  pkgnameWords: string[] | undefined;

  constructor(
    readonly text: string,
    readonly script: Script,
    readonly state: EvalState,
    readonly scope: Scope,
  ) {}

  /** `"${name[@]}"`: a string is one element, an unset name none. */
  values(name: string): string[] {
    const v = this.state.vars.get(name);
    if (v === undefined) return [];
    return v.kind === 'string' ? [v.value] : v.values;
  }

  /** `$name`: a string, or element 0 of an array. */
  string(name: string): string {
    const v = this.state.vars.get(name);
    if (v === undefined) return '';
    return v.kind === 'string' ? v.value : (v.values[0] ?? '');
  }

  declared(name: string): boolean {
    return this.state.vars.has(name);
  }

  isArray(name: string): boolean {
    return this.state.vars.get(name)?.kind === 'array';
  }

  /** Offset of the assignment that last set `name`, for diagnostics. */
  at(name: string): number {
    return this.state.assignedAt.get(name) ?? 0;
  }

  /** Read once: nothing changes `pkgname` or `arch` after sourcing. */
  get pkgnames(): string[] {
    this.pkgnameList ??= this.values('pkgname');
    return this.pkgnameList;
  }

  get arch(): string[] {
    this.archList ??= this.values('arch');
    return this.archList;
  }

  hasFunction(name: string): boolean {
    return this.state.functions.has(name);
  }

  /** grep_function's choice: `package_<name>`, or else `package`. */
  packageFunction(pkg: string): FunctionDef | undefined {
    return this.state.functions.get(`package_${pkg}`) ?? this.state.functions.get('package');
  }

  /** The override lines makepkg would find in the package function of `pkg`. */
  lines(pkg: string): OverrideLine[] {
    return this.linesOf(pkg).all;
  }

  /** Lines by name, cached per package: lint asks about every schema name for every package. */
  private linesOf(pkg: string): { all: OverrideLine[]; byName: Map<string, OverrideLine[]> } {
    let entry = this.pkgCache.get(pkg);
    if (entry) return entry;
    const fn = this.packageFunction(pkg);
    let all: OverrideLine[] = [];
    if (fn) {
      const cached = this.lineCache.get(fn.name);
      all = cached ?? scanOverrides(fn, this.text, this.script.rawLines);
      if (!cached) this.lineCache.set(fn.name, all);
    }
    const byName = new Map<string, OverrideLine[]>();
    for (const line of all) {
      const list = byName.get(line.name);
      if (list) list.push(line);
      else byName.set(line.name, [line]);
    }
    entry = { all, byName };
    this.pkgCache.set(pkg, entry);
    return entry;
  }

  /** Whether the package function of `pkg` has any override line at all. */
  hasOverrideLines(pkg: string): boolean {
    return this.linesOf(pkg).all.length > 0;
  }

  /** exists_function_variable: does any line match either regex for `attr`. */
  overrideExists(pkg: string, attr: string): OverrideLine | undefined {
    return this.linesOf(pkg).byName.get(attr)?.[0];
  }

  /** The first line matching the string regex (isArray 0) or the array regex (isArray 1). */
  overrideLine(pkg: string, attr: string, isArray: boolean): OverrideLine | undefined {
    const lines = this.linesOf(pkg).byName.get(attr);
    if (lines === undefined) return undefined;
    for (const l of lines) if (isArray ? l.arrayForm : l.stringForm) return l;
    return undefined;
  }

  /** extract_global_variable: the global value when it is non-empty. */
  globalValue(attr: string, isArray: boolean): Value | undefined {
    if (isArray) {
      const values = this.values(attr);
      return values.length > 0 ? { kind: 'array', values: [...values] } : undefined;
    }
    const s = this.string(attr);
    return s ? { kind: 'string', value: s } : undefined;
  }

  /** extract_function_variable evaluated from `initial`, with `$pkgname` as `pkgname`. */
  functionValue(
    pkg: string,
    attr: string,
    isArray: boolean,
    initial: Value,
    pkgname: Value,
  ): { matched: boolean; value: Value } {
    const lines = this.linesOf(pkg).byName.get(attr);
    if (!lines) return { matched: false, value: initial };
    return evaluateOverride(lines, attr, isArray, initial, overrideScope(this.scope, pkgname));
  }

  /**
   * get_pkgbuild_attribute: for the pkgbase section (`pkg` empty) the global value; for a
   * package, the global value with that package's override lines applied, `$pkgname` set to it.
   */
  attribute(pkg: string, attr: string, isArray: boolean): { matched: boolean; value: Value } {
    const empty: Value = isArray ? { kind: 'array', values: [] } : { kind: 'string', value: '' };
    const global = this.globalValue(attr, isArray);
    if (!pkg) return { matched: global !== undefined, value: global ?? empty };
    return this.functionValue(pkg, attr, isArray, global ?? empty, { kind: 'string', value: pkg });
  }
}

/** A Value as its list of elements. */
export function elements(v: Value): string[] {
  return v.kind === 'string' ? [v.value] : v.values;
}
