import { evalArith, substituteArith } from './arithmetic.ts';
import type { LitPart, ParamPart, Part, Word } from './ast.ts';
import { braceExpand } from './brace.ts';
import { fail } from './parse-error.ts';
import {
  compilePattern,
  type MatchBudget,
  type PatternSeg,
  removePrefix,
  removeSuffix,
  replacePattern,
} from './pattern.ts';

/** A shell variable: a string, or an indexed array (always dense: sparse arrays are refused). */
export type Value = { kind: 'string'; value: string } | { kind: 'array'; values: string[] };

/** Where expansion reads variables; `get` throws a PendingError for names it must not guess. */
export interface Scope {
  get(name: string, at: number): Value | undefined;
  /** For `${x:=word}`; scopes without it refuse that operator. */
  assign?(name: string, value: string, at: number): void;
  /** True where bash has extglob on (makepkg's eval of override lines): `+(…)` then means more. */
  extglob?: boolean;
  /** Most words one brace expansion may make (ParseOptions.maxBraceWords). */
  maxBraceWords?: number;
  /** What pattern matching may still scan (ParseOptions.maxMatchSteps). */
  budget?: MatchBudget;
  /** Most characters one variable may hold (ParseOptions.maxValueLength). */
  maxValueLength?: number;
}

export const DEFAULT_MAX_BRACE_WORDS = 10_000;

/** A piece of an expansion result: quoted text, unquoted text, or a break between "$@" words. */
type Seg = { v: string; q: boolean } | { brk: true; q: boolean };

const NON_ASCII = /[^\x00-\x7f]/;
const IFS_WS = /[ \t\n]/;

/**
 * Expands a word into fields the way bash expands a command word or an array element: brace
 * expansion, parameter expansion, word splitting on the default IFS, quote removal. Pathname
 * expansion needs the file system, so an unquoted glob character is refused.
 * @example expandFields(word('{a,b}$x'), scope) // ['a1', 'b1'] with x=1
 */
export function expandFields(word: Word, scope: Scope): string[] {
  if (word.braceAmbiguous) {
    fail(
      'UNSUPPORTED_EXPANSION',
      'braces in a word whose double-quoted parameter expansion holds quotes: bash pairs them its own way',
      word.start,
    );
  }
  const out: string[] = [];
  const only = word.parts.length === 1 ? word.parts[0]! : undefined;
  if (only?.t === 'lit' && (only.q || !only.v.includes('{'))) {
    // One literal: no braces, nothing to split; what FieldBuilder would make of it.
    tildeGuard(word.parts, false);
    if (!only.q) globGuard(only.v, only.start);
    out.push(only.v);
    return out;
  }
  for (const parts of braceExpand(word.parts, scope.maxBraceWords ?? DEFAULT_MAX_BRACE_WORDS)) {
    tildeGuard(parts, false);
    const b = new FieldBuilder(out, word.start);
    for (const p of parts) addPart(b, p, scope);
    b.finish();
  }
  return out;
}

/** Expands a word to one string, as in `x=word`, `case word`, or `[[ word ]]`. */
export function expandString(word: Word, scope: Scope, assignment = false): string {
  tildeGuard(word.parts, assignment);
  return joinedString(word.parts, scope);
}

/**
 * The segments of `parts` joined, a break read as a space: what expandString makes of them,
 * without building the segment list for literal and double-quoted parts (same order, so the
 * same failure comes first).
 */
function joinedString(parts: Part[], scope: Scope): string {
  let s = '';
  for (const p of parts) {
    switch (p.t) {
      case 'lit':
        s += p.v;
        break;
      case 'dq':
        s += joinedString(p.parts, scope);
        break;
      case 'param':
        for (const seg of expandParam(p, scope)) s += 'brk' in seg ? ' ' : seg.v;
        break;
      default:
        for (const seg of segments([p], scope, false)) s += 'brk' in seg ? ' ' : seg.v;
    }
  }
  return s;
}

/** Expands a word used as a pattern: quoted pieces stay literal, unquoted ones keep their glob meaning. */
export function expandPatternSegs(word: Word, scope: Scope): PatternSeg[] {
  tildeGuard(word.parts, false);
  const segs = segments(word.parts, scope, false).map((s) =>
    'brk' in s ? { v: ' ', q: true } : { v: s.v, q: s.q },
  );
  if (scope.extglob && segs.some((s) => !s.q && /[?*+@!]\(/.test(s.v))) {
    fail(
      'UNSUPPORTED_EXPANSION',
      'an extended glob pattern (extglob is on where makepkg evals overrides)',
      word.start,
    );
  }
  return segs;
}

/** An unquoted `~` at the start of a word (or after `:` in an assignment) is the user's HOME. */
function tildeGuard(parts: Part[], assignment: boolean): void {
  const first = parts[0];
  if (first?.t === 'lit' && !first.q && first.v.startsWith('~')) {
    fail(
      'TILDE',
      'tilde expansion depends on the home directory of the user running makepkg',
      first.start,
    );
  }
  if (!assignment) return;
  for (const p of parts) {
    if (p.t === 'lit' && !p.q && p.v.includes(':~')) {
      fail(
        'TILDE',
        'tilde expansion depends on the home directory of the user running makepkg',
        p.start,
      );
    }
  }
}

class FieldBuilder {
  cur = '';
  has = false;
  constructor(
    readonly out: string[],
    readonly at: number,
  ) {}

  quoted(s: string): void {
    this.cur += s;
    this.has = true;
  }

  /** Literal characters of the word itself: never split, but globbed. */
  literal(s: string, at: number): void {
    globGuard(s, at);
    this.cur += s;
    this.has = true;
  }

  /** An unquoted expansion result: split on IFS whitespace, then globbed. */
  split(s: string, at: number): void {
    globGuard(s, at);
    for (const c of s) {
      if (IFS_WS.test(c)) {
        if (this.has) this.out.push(this.cur);
        this.cur = '';
        this.has = false;
      } else {
        this.cur += c;
        this.has = true;
      }
    }
  }

  brk(q: boolean): void {
    if (q || this.has) this.out.push(this.cur);
    this.cur = '';
    this.has = false;
  }

  finish(): void {
    if (this.has) this.out.push(this.cur);
  }
}

function isAtParam(p: Part): boolean {
  return p.t === 'param' && (p.index === '@' || p.name === '@');
}

function globGuard(s: string, at: number): void {
  if (s.includes('*') || s.includes('?')) {
    fail('GLOB', `unquoted glob pattern '${s}' depends on the files next to the PKGBUILD`, at);
  }
  const open = s.indexOf('[');
  if (open !== -1 && s.indexOf(']', open + 1) !== -1) {
    fail('GLOB', `unquoted glob pattern '${s}' depends on the files next to the PKGBUILD`, at);
  }
}

function addPart(b: FieldBuilder, p: Part, scope: Scope): void {
  switch (p.t) {
    case 'lit':
      if (p.q) b.quoted(p.v);
      else b.literal(p.v, p.start);
      return;
    case 'dq': {
      if (allLiteral(p.parts)) {
        for (const inner of p.parts) b.quoted((inner as LitPart).v);
        b.has = true;
        return;
      }
      const hasAt = p.parts.some(isAtParam);
      for (const seg of segments(p.parts, scope, true)) {
        if ('brk' in seg) b.brk(true);
        else b.quoted(seg.v);
      }
      if (!hasAt) b.has = true;
      return;
    }
    default:
      for (const seg of p.t === 'param' ? expandParam(p, scope) : segments([p], scope, false)) {
        if ('brk' in seg) b.brk(seg.q);
        else if (seg.q) b.quoted(seg.v);
        else b.split(seg.v, p.start);
      }
  }
}

function allLiteral(parts: Part[]): boolean {
  for (const p of parts) if (p.t !== 'lit') return false;
  return true;
}

/** Expands parts to segments, keeping which text was quoted and where "$@"-style words break. */
function segments(parts: Part[], scope: Scope, inDq: boolean): Seg[] {
  const out: Seg[] = [];
  for (const p of parts) {
    switch (p.t) {
      case 'lit':
        out.push({ v: p.v, q: p.q || inDq });
        break;
      case 'dq': {
        const inner = segments(p.parts, scope, true);
        // `""` still makes a word, even inside ${x:+""}; an empty "${a[@]}" does not.
        if (inner.length === 0 && !p.parts.some(isAtParam)) out.push({ v: '', q: true });
        for (const s of inner) out.push(s);
        break;
      }
      case 'param':
        for (const s of expandParam(p, scope)) out.push(s);
        break;
      case 'cmdsub':
        fail(
          'COMMAND_SUBSTITUTION',
          `command substitution ${preview(p.text)} runs a program`,
          p.start,
        );
        break;
      case 'arith':
        out.push({
          v: String(evalArith(substituteArith(p.expr, scope, p.start), scope, p.start)),
          q: p.q || inDq,
        });
    }
  }
  return out;
}

function preview(text: string): string {
  const line = text.split('\n')[0]!;
  return line.length > 40 ? `${line.slice(0, 40)}...` : line;
}

const SPECIAL = /^([0-9]+|[@*#?$!-])$/;

/** [A-Za-z_]: a name, never a special parameter. */
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function describe(p: ParamPart): string {
  const open = '$' + '{';
  return p.braced ? `${open}${p.name}${p.index ? '[…]' : ''}${p.op ?? ''}…}` : `$${p.name}`;
}

/** Looks a parameter up: undefined when unset, else its elements (a string is one element). */
function lookup(p: ParamPart, scope: Scope): { values: string[]; list: boolean; set: boolean } {
  if (SPECIAL.test(p.name)) {
    fail('UNSUPPORTED_EXPANSION', `$${p.name} is set by makepkg, not by the PKGBUILD`, p.start);
  }
  if (p.indirect) fail('UNSUPPORTED_EXPANSION', `indirect expansion \${!${p.name}}`, p.start);
  const v = scope.get(p.name, p.start);
  const all = v === undefined ? [] : v.kind === 'string' ? [v.value] : v.values;
  if (p.index === '@' || p.index === '*') return { values: all, list: true, set: all.length > 0 };
  if (p.index !== undefined) {
    const raw = expandString(p.index, scope).trim();
    if (!/^-?(0|[1-9][0-9]*)$/.test(raw)) {
      fail('ARITHMETIC', `array subscript '${raw}' is not a plain number`, p.start);
    }
    let n = Number(raw);
    if (n < 0) n += all.length;
    const item = n >= 0 ? all[n] : undefined;
    return { values: item === undefined ? [] : [item], list: false, set: item !== undefined };
  }
  const item = all[0];
  return { values: item === undefined ? [] : [item], list: false, set: item !== undefined };
}

function expandParam(p: ParamPart, scope: Scope): Seg[] {
  if (
    p.op === undefined &&
    p.index === undefined &&
    p.bad === undefined &&
    p.unsupported === undefined &&
    !p.length &&
    !p.indirect &&
    isNameStart(p.name.charCodeAt(0))
  ) {
    // `$x` / `${x}`: what lookup and join below make of a plain variable, without their lists.
    const v = scope.get(p.name, p.start);
    const item = v === undefined ? undefined : v.kind === 'string' ? v.value : v.values[0];
    return item === undefined ? [] : [{ v: item, q: p.q }];
  }
  if (p.bad !== undefined) fail('BAD_SUBSTITUTION', `bad substitution: ${p.bad}`, p.start);
  if (p.unsupported !== undefined) {
    fail('UNSUPPORTED_EXPANSION', `quoting inside a double-quoted ${p.unsupported}`, p.start);
  }
  const op = p.op;
  if (op === ':?' || op === '?' || op?.startsWith('@')) {
    fail('UNSUPPORTED_EXPANSION', `${describe(p)} is not supported`, p.start);
  }
  // bash tilde-expands these operands (even patterns and replacements inside double quotes).
  if (p.arg) tildeGuard(p.arg.parts, false);
  if (p.arg2) tildeGuard(p.arg2.parts, false);
  const { values, list, set } = lookup(p, scope);
  if (op === ':=' || op === '=') {
    if (!scope.assign || p.index !== undefined || p.length) {
      fail('UNSUPPORTED_EXPANSION', `${describe(p)} assigns while expanding`, p.start);
    }
    const isNullish = !set || (values.length === 1 && values[0] === '');
    if (!(op === ':=' ? isNullish : !set)) return join(values, list, p);
    const value = expandString(p.arg!, scope);
    scope.assign(p.name, value, p.start);
    return [{ v: value, q: p.q }];
  }
  if (p.length) {
    if (list) return [{ v: String(values.length), q: p.q }];
    const s = values[0] ?? '';
    asciiGuard(s, p.start, 'length expansion');
    return [{ v: String(s.length), q: p.q }];
  }
  const isNull = !set || (values.length === 1 && values[0] === '') || values.length === 0;
  if (op === ':-' || op === '-') {
    const use = op === ':-' ? isNull : !set;
    if (use) return segments(p.arg!.parts, scope, p.q);
    return join(values, list, p);
  }
  if (op === ':+' || op === '+') {
    const use = op === ':+' ? !isNull : set;
    return use ? segments(p.arg!.parts, scope, p.q) : [];
  }
  if (op === undefined) return join(values, list, p);
  let result: string[];
  if (op === '%' || op === '%%' || op === '#' || op === '##') {
    const pat = compilePattern(expandPatternSegs(p.arg!, scope), p.start, scope.budget);
    const longest = op.length === 2;
    result = values.map((v) =>
      op[0] === '%'
        ? removeSuffix(v, pat, longest, p.start)
        : removePrefix(v, pat, longest, p.start),
    );
  } else if (op === '/' || op === '//' || op === '/#' || op === '/%') {
    const pat = compilePattern(expandPatternSegs(p.arg!, scope), p.start, scope.budget);
    const rep = p.arg2 ? segments(p.arg2.parts, scope, false) : [];
    const replace = (matched: string): string => {
      let s = '';
      for (const seg of rep) {
        if ('brk' in seg) s += ' ';
        else
          s += seg.q ? seg.v : seg.v.replace(/\\(.)|&/g, (m, esc) => (m === '&' ? matched : esc));
      }
      return s;
    };
    result = values.map((v) => replacePattern(v, pat, op, replace, p.start));
  } else if (op === '^^' || op === '^' || op === ',,' || op === ',') {
    if (p.arg && p.arg.parts.length > 0) {
      fail('UNSUPPORTED_EXPANSION', `case conversion with a pattern ${describe(p)}`, p.start);
    }
    result = values.map((v) => {
      asciiGuard(v, p.start, 'case conversion');
      const upper = op[0] === '^';
      if (op.length === 2) return upper ? v.toUpperCase() : v.toLowerCase();
      return (upper ? v.slice(0, 1).toUpperCase() : v.slice(0, 1).toLowerCase()) + v.slice(1);
    });
  } else if (op === ':') {
    result = substring(p, values, list, scope);
    return join(result, list, p);
  } else {
    fail('UNSUPPORTED_EXPANSION', `${describe(p)} is not supported`, p.start);
  }
  return join(result, list, p);
}

function join(values: string[], list: boolean, p: ParamPart): Seg[] {
  if (!list || values.length <= 1) return values.length === 0 ? [] : [{ v: values[0]!, q: p.q }];
  if (p.index === '*' && p.q) return [{ v: values.join(' '), q: true }];
  const out: Seg[] = [];
  values.forEach((v, i) => {
    if (i > 0) out.push({ brk: true, q: p.q });
    out.push({ v, q: p.q });
  });
  return out;
}

function asciiGuard(s: string, at: number, what: string): void {
  if (NON_ASCII.test(s)) {
    fail('LOCALE_DEPENDENT', `${what} on non-ASCII text counts bytes or characters by locale`, at);
  }
}

/** An arithmetic operand we can evaluate without an arithmetic engine: an integer or a name holding one. */
export function integerOperand(text: string, scope: Scope, at: number, depth = 0): number {
  const t = text.trim();
  // bash arithmetic reads 010 as octal and 08 as an error: only plain decimals are taken.
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(t)) return Number(t);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(t) && depth < 8) {
    const v = scope.get(t, at);
    const s = v === undefined ? '0' : v.kind === 'string' ? v.value : (v.values[0] ?? '0');
    return s.trim() === '' ? 0 : integerOperand(s, scope, at, depth + 1);
  }
  fail('ARITHMETIC', `arithmetic expression '${t}' is not evaluated statically`, at);
}

function substring(p: ParamPart, values: string[], list: boolean, scope: Scope): string[] {
  if (p.arg!.parts.length === 0 && p.arg!.start === p.arg!.end && !p.arg2) {
    fail('BAD_SUBSTITUTION', `bad substitution: ${describe(p)} has no offset`, p.start);
  }
  // bash reads offset and length as arithmetic: empty is 0, `-3`, `(-2)`, `n-1` all work.
  const off0 = arithNumber(expandString(p.arg!, scope), scope, p.start);
  const len0 = p.arg2 ? arithNumber(expandString(p.arg2, scope), scope, p.start) : undefined;
  const bad = (): never =>
    fail('BAD_SUBSTITUTION', `${describe(p)}: substring expression < 0`, p.start);
  if (list) {
    let off = off0 < 0 ? values.length + off0 : off0;
    if (off < 0) return [];
    off = Math.min(off, values.length);
    if (len0 === undefined) return values.slice(off);
    if (len0 < 0) bad();
    return values.slice(off, off + len0!);
  }
  if (values.length === 0) return [];
  const s = values[0]!;
  asciiGuard(s, p.start, 'substring expansion');
  const off = off0 < 0 ? s.length + off0 : off0;
  if (off < 0 || off > s.length) return [''];
  if (len0 === undefined) return [s.slice(off)];
  if (len0 < 0) {
    const end = s.length + len0;
    if (end < off) bad();
    return [s.slice(off, end)];
  }
  return [s.slice(off, off + len0)];
}

/** An arithmetic result as a JS number, clamped so huge offsets stay past every string's end. */
function arithNumber(text: string, scope: Scope, at: number): number {
  const v = evalArith(text, scope, at);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(v > max ? max : v < -max ? -max : v);
}
