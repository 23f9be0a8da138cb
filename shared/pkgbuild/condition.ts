import type { CondExpr } from './ast.ts';
import { expandPatternSegs, expandString, integerOperand, type Scope } from './expand.ts';
import { fail } from './parse-error.ts';
import { compilePattern, matchWhole } from './pattern.ts';

const NON_ASCII = /[^\x00-\x7f]/;
const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  '-eq': (a, b) => a === b,
  '-ne': (a, b) => a !== b,
  '-lt': (a, b) => a < b,
  '-le': (a, b) => a <= b,
  '-gt': (a, b) => a > b,
  '-ge': (a, b) => a >= b,
};

/**
 * Decides a `[[ … ]]` expression the way bash does, or refuses when the answer depends on
 * anything but the PKGBUILD's own variables (files, regexes, the locale).
 * @example evalCond(parse('[[ $CARCH == x86_64 ]]'), scope) // true when CARCH is x86_64
 */
export function evalCond(e: CondExpr, scope: Scope): boolean {
  switch (e.t) {
    case 'and':
      return evalCond(e.left, scope) && evalCond(e.right, scope);
    case 'or':
      return evalCond(e.left, scope) || evalCond(e.right, scope);
    case 'not':
      return !evalCond(e.expr, scope);
    case 'word':
      return expandString(e.word, scope) !== '';
    case 'unary': {
      const arg = expandString(e.arg, scope);
      if (e.op === '-n') return arg !== '';
      if (e.op === '-z') return arg === '';
      if (e.op === '-v' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(arg)) {
        const v = scope.get(arg, e.start);
        return v !== undefined && (v.kind === 'string' || v.values.length > 0);
      }
      return fail(
        'UNDECIDABLE_CONDITION',
        `test '${e.op}' depends on the machine running makepkg`,
        e.start,
      );
    }
    case 'binary': {
      const left = expandString(e.left, scope);
      if (e.op === '==' || e.op === '=' || e.op === '!=') {
        const pat = compilePattern(expandPatternSegs(e.right, scope), e.start, scope.budget);
        const m = matchWhole(pat, left, e.start);
        return e.op === '!=' ? !m : m;
      }
      const numeric = NUMERIC[e.op];
      if (numeric) {
        const right = expandString(e.right, scope);
        return numeric(integerOperand(left, scope, e.start), integerOperand(right, scope, e.start));
      }
      if (e.op === '<' || e.op === '>') {
        const right = expandString(e.right, scope);
        if (NON_ASCII.test(left) || NON_ASCII.test(right)) {
          fail(
            'LOCALE_DEPENDENT',
            `string order '${e.op}' on non-ASCII text depends on the locale`,
            e.start,
          );
        }
        return e.op === '<' ? left < right : left > right;
      }
      return fail(
        'UNDECIDABLE_CONDITION',
        `operator '${e.op}' is not decided statically (regex or file test)`,
        e.start,
      );
    }
  }
}

/** The `test` / `[` builtin on already expanded arguments, for the forms PKGBUILDs use. */
export function evalTest(args: string[], at: number): boolean {
  const undecidable = (): never =>
    fail('UNDECIDABLE_CONDITION', `test ${args.join(' ')} is not decided statically`, at);
  const binary = (a: string, op: string, b: string): boolean | undefined => {
    if (op === '=' || op === '==') return a === b;
    if (op === '!=') return a !== b;
    const numeric = NUMERIC[op];
    if (numeric) {
      if (!/^\s*[-+]?[0-9]+\s*$/.test(a) || !/^\s*[-+]?[0-9]+\s*$/.test(b)) undecidable();
      return numeric(Number(a), Number(b));
    }
    return undefined;
  };
  const unary = (op: string, a: string): boolean | undefined => {
    if (op === '-n') return a !== '';
    if (op === '-z') return a === '';
    return undefined;
  };
  const run = (a: string[]): boolean => {
    switch (a.length) {
      case 0:
        return false;
      case 1:
        return a[0] !== '';
      case 2: {
        if (a[0] === '!') return !run(a.slice(1));
        const r = unary(a[0]!, a[1]!);
        return r ?? undecidable();
      }
      case 3: {
        const r = binary(a[0]!, a[1]!, a[2]!);
        if (r !== undefined) return r;
        if (a[0] === '!') return !run(a.slice(1));
        if (a[0] === '(' && a[2] === ')') return run([a[1]!]);
        return undecidable();
      }
      case 4:
        if (a[0] === '!') return !run(a.slice(1));
        return undecidable();
      default:
        return undecidable();
    }
  };
  return run(args);
}
