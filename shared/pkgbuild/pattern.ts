import { fail } from './parse-error.ts';

/** A piece of a glob pattern; quoted pieces match literally. */
export type PatternSeg = { v: string; q: boolean };

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\v\\f\\r',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
  word: '0-9A-Za-z_',
  ascii: '\\x00-\\x7f',
};

/**
 * How many characters pattern matching may scan in one parse: `${x//?/y}` on a long value is
 * quadratic, and a hostile PKGBUILD must not stall the edge.
 */
export class MatchBudget {
  left: number;
  constructor(readonly max: number) {
    this.left = max;
  }

  spend(n: number, at: number): void {
    this.left -= n;
    if (this.left < 0) {
      fail(
        'LIMIT_EXCEEDED',
        `pattern matching scans more than ${this.max} characters (maxMatchSteps)`,
        at,
      );
    }
  }
}

export const DEFAULT_MAX_MATCH_STEPS = 50_000_000;

/** One element of a compiled glob: `*`, or a test for exactly one character. */
type Token = { star: true } | { star: false; test: (c: string) => boolean };

/**
 * A compiled glob. Matching walks the tokens over the text (no regular expression, so no
 * catastrophic backtracking): O(text × pattern) per match, paid for from the budget.
 */
export type Pattern = {
  tokens: Token[];
  /** The tokens reversed, for suffix matching. */
  reversed: Token[];
  hasStar: boolean;
  charSensitive: boolean;
  budget: MatchBudget | undefined;
  at: number;
};

const STAR: Token = { star: true };
const ANY: Token = { star: false, test: () => true };
const classCache = new Map<string, Token>();

/** One token per character, shared: a pattern is compiled for every `${x%…}` evaluated. */
const literalCache = new Map<string, Token>();
function literal(c: string): Token {
  let token = literalCache.get(c);
  if (!token) {
    token = { star: false, test: (x) => x === c };
    if (literalCache.size > 4096) literalCache.clear();
    literalCache.set(c, token);
  }
  return token;
}

/**
 * Compiles bash glob segments (`*`, `?`, `[…]` with classes; quoted segments literal), the
 * matcher behind `${x%pat}`, `${x/pat/rep}`, `case` and `[[ x == pat ]]`.
 * @example matchWhole(compilePattern([{ v: '*.tar', q: false }], 0), 'a.tar', 0) // true
 */
export function compilePattern(segs: PatternSeg[], at: number, budget?: MatchBudget): Pattern {
  const tokens: Token[] = [];
  let charSensitive = false;
  for (const seg of segs) {
    const s = seg.v;
    if (seg.q) {
      for (let i = 0; i < s.length; i++) tokens.push(literal(s[i]!));
      continue;
    }
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '*') {
        // Consecutive stars match what one star matches.
        if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
      } else if (c === '?') {
        tokens.push(ANY);
        charSensitive = true;
      } else if (c === '\\' && i + 1 < s.length) {
        tokens.push(literal(s[++i]!));
      } else if (c === '[') {
        const b = bracket(s, i, at);
        if (b) {
          let token = classCache.get(b.re);
          if (!token) {
            let re: RegExp;
            try {
              re = new RegExp(`^${b.re}$`);
            } catch {
              // A reversed range (`[9-0]`): what bash matches then depends on the locale's
              // collation, so refuse rather than guess.
              fail(
                'LOCALE_DEPENDENT',
                `bracket expression ${s.slice(i, b.end + 1)} has a range out of order`,
                at,
              );
            }
            token = { star: false, test: (x) => re.test(x) };
            if (classCache.size > 500) classCache.clear();
            classCache.set(b.re, token);
          }
          tokens.push(token);
          i = b.end;
          charSensitive = true;
        } else tokens.push(literal('['));
      } else tokens.push(literal(c));
    }
  }
  return {
    tokens,
    reversed: [...tokens].reverse(),
    hasStar: tokens.includes(STAR),
    charSensitive,
    budget,
    at,
  };
}

/**
 * Every end position e such that s[from..e) matches the tokens, as a boolean array indexed by
 * position. Scanning backwards (`reverse`) matches the reversed tokens on the reversed text
 * without building it: then the result is indexed by the start position of a suffix.
 */
function reachable(p: Pattern, s: string, from: number, reverse: boolean): Uint8Array {
  const n = s.length;
  const tokens = reverse ? p.reversed : p.tokens;
  p.budget?.spend((n + 1) * (tokens.length + 1), p.at);
  let cur = new Uint8Array(n + 2);
  let next = new Uint8Array(n + 2);
  // Positions are counted from the scan's start: k characters consumed.
  const limit = reverse ? from : n - from;
  cur[0] = 1;
  for (const t of tokens) {
    next.fill(0);
    if (t.star) {
      let k = 0;
      while (k <= limit && !cur[k]) k++;
      for (; k <= limit; k++) next[k] = 1;
    } else {
      for (let k = 0; k < limit; k++) {
        if (!cur[k]) continue;
        const c = reverse ? s[from - 1 - k]! : s[from + k]!;
        if (t.test(c)) next[k + 1] = 1;
      }
    }
    [cur, next] = [next, cur];
  }
  return cur;
}

/** Whether s[from..from+k) matches, for a pattern without `*` (fixed length k). */
function fixedAt(p: Pattern, s: string, from: number): boolean {
  const t = p.tokens;
  p.budget?.spend(t.length + 1, p.at);
  if (from + t.length > s.length) return false;
  for (let k = 0; k < t.length; k++) {
    if (!(t[k] as { test: (c: string) => boolean }).test(s[from + k]!)) return false;
  }
  return true;
}

const escapeChar = (c: string) => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c);

/** A bracket expression starting at `s[i] === '['`, or undefined when it has no closing `]`. */
function bracket(s: string, i: number, at: number): { re: string; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (s[j] === '!' || s[j] === '^') {
    negate = true;
    j++;
  }
  let body = '';
  let first = true;
  while (j < s.length) {
    const c = s[j]!;
    if (c === ']' && !first) return { re: `[${negate ? '^' : ''}${body}]`, end: j };
    first = false;
    if (c === '[' && s[j + 1] === ':') {
      const close = s.indexOf(':]', j + 2);
      if (close !== -1) {
        const name = s.slice(j + 2, close);
        const cls = CLASSES[name];
        if (cls === undefined)
          fail('UNSUPPORTED_EXPANSION', `unknown character class [:${name}:]`, at);
        body += cls;
        j = close + 2;
        continue;
      }
    }
    if (c === '[' && (s[j + 1] === '=' || s[j + 1] === '.')) {
      fail('UNSUPPORTED_EXPANSION', 'collating elements in a bracket expression', at);
    }
    if (c === '\\' && j + 1 < s.length) {
      body += escapeChar(s[j + 1]!);
      j += 2;
      continue;
    }
    body += c === '-' && s[j + 1] !== ']' && body !== '' ? '-' : escapeChar(c);
    j++;
  }
  return undefined;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Refuses patterns whose `?` or `[…]` count bytes in one locale and characters in another. */
function guardLocale(p: Pattern, subject: string, at: number): void {
  if (p.charSensitive && NON_ASCII.test(subject)) {
    fail('LOCALE_DEPENDENT', 'a ? or [...] pattern on non-ASCII text depends on the locale', at);
  }
}

/** `[[ s == pat ]]` and `case`. */
export function matchWhole(p: Pattern, s: string, at: number): boolean {
  guardLocale(p, s, at);
  if (!p.hasStar) return p.tokens.length === s.length && fixedAt(p, s, 0);
  return reachable(p, s, 0, false)[s.length] === 1;
}

/** Lengths k for which s[0..k) (or, reversed, the last k characters) match. */
function lengths(p: Pattern, s: string, reverse: boolean): Uint8Array {
  if (p.hasStar) return reachable(p, s, reverse ? s.length : 0, reverse);
  const out = new Uint8Array(s.length + 2);
  const k = p.tokens.length;
  if (k <= s.length && fixedAt(p, s, reverse ? s.length - k : 0)) out[k] = 1;
  return out;
}

function pick(ok: Uint8Array, n: number, longest: boolean): number {
  if (longest) {
    for (let k = n; k >= 0; k--) if (ok[k]) return k;
  } else {
    for (let k = 0; k <= n; k++) if (ok[k]) return k;
  }
  return -1;
}

/** `${s#pat}` (shortest) and `${s##pat}` (longest). */
export function removePrefix(s: string, p: Pattern, longest: boolean, at: number): string {
  guardLocale(p, s, at);
  const k = pick(lengths(p, s, false), s.length, longest);
  return k === -1 ? s : s.slice(k);
}

/** `${s%pat}` (shortest) and `${s%%pat}` (longest). */
export function removeSuffix(s: string, p: Pattern, longest: boolean, at: number): string {
  guardLocale(p, s, at);
  const k = pick(lengths(p, s, true), s.length, longest);
  return k === -1 ? s : s.slice(0, s.length - k);
}

/** The longest match starting at `i`, as its length, or -1. */
function longestAt(p: Pattern, s: string, i: number): number {
  if (!p.hasStar) return fixedAt(p, s, i) ? p.tokens.length : -1;
  const first = p.tokens[0]!;
  if (!first.star && (i >= s.length || !first.test(s[i]!))) return -1;
  return pick(reachable(p, s, i, false), s.length - i, true);
}

/**
 * `${s/pat/rep}` and its `//`, `/#`, `/%` forms: leftmost, longest matches, as bash finds them.
 * `rep` gets the matched text, for bash 5.2's patsub_replacement (`&`).
 */
export function replacePattern(
  s: string,
  p: Pattern,
  mode: '/' | '//' | '/#' | '/%',
  rep: (matched: string) => string,
  at: number,
): string {
  guardLocale(p, s, at);
  if (mode === '/#') {
    const k = pick(lengths(p, s, false), s.length, true);
    return k === -1 ? s : rep(s.slice(0, k)) + s.slice(k);
  }
  if (mode === '/%') {
    const k = pick(lengths(p, s, true), s.length, true);
    return k === -1 ? s : s.slice(0, s.length - k) + rep(s.slice(s.length - k));
  }
  // An empty pattern matches nothing in bash's / and // forms.
  if (p.tokens.length === 0) return s;
  // An empty value is matched once, by a pattern that matches the empty string (`*`).
  if (s === '') return matchWhole(p, '', at) ? rep('') : s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const k = longestAt(p, s, i);
    if (k <= 0) {
      out += s[i];
      i++;
      continue;
    }
    out += rep(s.slice(i, i + k));
    i += k;
    if (mode === '/') return out + s.slice(i);
  }
  return out;
}
