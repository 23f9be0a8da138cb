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

  get pkgnames(): string[] {
    return this.values('pkgname');
  }

  get arch(): string[] {
    return this.values('arch');
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
    const fn = this.packageFunction(pkg);
    if (!fn) return [];
    let lines = this.lineCache.get(fn.name);
    if (!lines) {
      lines = scanOverrides(fn, this.text, this.script.rawLines);
      this.lineCache.set(fn.name, lines);
    }
    return lines;
  }

  /** exists_function_variable: does any line match either regex for `attr`. */
  overrideExists(pkg: string, attr: string): OverrideLine | undefined {
    return this.lines(pkg).find((l) => l.name === attr && (l.arrayForm || l.stringForm));
  }

  /** The first line matching the string regex (isArray 0) or the array regex (isArray 1). */
  overrideLine(pkg: string, attr: string, isArray: boolean): OverrideLine | undefined {
    return this.lines(pkg).find((l) => l.name === attr && (isArray ? l.arrayForm : l.stringForm));
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
    const lines = this.lines(pkg);
    if (!lines.some((l) => l.name === attr)) return { matched: false, value: initial };
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
