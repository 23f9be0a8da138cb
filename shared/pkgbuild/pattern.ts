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

const cache = new Map<string, RegExp>();

/** Compiled pattern plus whether it can match differently under a byte locale. */
export type Pattern = { re: RegExp; charSensitive: boolean; source: string };

const escapeChar = (c: string) => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c);

/**
 * Turns bash glob segments into an anchored regular expression (`*`, `?`, `[…]` with classes),
 * the matcher behind `${x%pat}`, `case` and `[[ x == pat ]]`.
 * @example compilePattern([{ v: '*.tar', q: false }]).re.test('a.tar') // true
 */
export function compilePattern(segs: PatternSeg[], at: number): Pattern {
  let src = '';
  let charSensitive = false;
  for (const seg of segs) {
    const s = seg.v;
    if (seg.q) {
      for (const c of s) src += escapeChar(c);
      continue;
    }
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '*') src += '[\\s\\S]*';
      else if (c === '?') {
        src += '[\\s\\S]';
        charSensitive = true;
      } else if (c === '\\' && i + 1 < s.length) {
        src += escapeChar(s[++i]!);
      } else if (c === '[') {
        const b = bracket(s, i, at);
        if (b) {
          src += b.re;
          i = b.end;
          charSensitive = true;
        } else src += '\\[';
      } else src += escapeChar(c);
    }
  }
  let re = cache.get(src);
  if (!re) {
    re = new RegExp(`^(?:${src})$`);
    if (cache.size > 500) cache.clear();
    cache.set(src, re);
  }
  return { re, charSensitive, source: src };
}

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
  return p.re.test(s);
}

/** `${s#pat}` (shortest) and `${s##pat}` (longest). */
export function removePrefix(s: string, p: Pattern, longest: boolean, at: number): string {
  guardLocale(p, s, at);
  if (longest) {
    for (let i = s.length; i >= 0; i--) if (p.re.test(s.slice(0, i))) return s.slice(i);
  } else {
    for (let i = 0; i <= s.length; i++) if (p.re.test(s.slice(0, i))) return s.slice(i);
  }
  return s;
}

/** `${s%pat}` (shortest) and `${s%%pat}` (longest). */
export function removeSuffix(s: string, p: Pattern, longest: boolean, at: number): string {
  guardLocale(p, s, at);
  if (longest) {
    for (let i = 0; i <= s.length; i++) if (p.re.test(s.slice(i))) return s.slice(0, i);
  } else {
    for (let i = s.length; i >= 0; i--) if (p.re.test(s.slice(i))) return s.slice(0, i);
  }
  return s;
}

/**
 * `${s/pat/rep}` and its `//`, `/#`, `/%` forms. `rep` gets the matched text, for bash 5.2's
 * patsub_replacement (`&`).
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
    for (let e = s.length; e >= 0; e--) {
      if (p.re.test(s.slice(0, e))) return rep(s.slice(0, e)) + s.slice(e);
    }
    return s;
  }
  if (mode === '/%') {
    for (let b = 0; b <= s.length; b++) {
      if (p.re.test(s.slice(b))) return s.slice(0, b) + rep(s.slice(b));
    }
    return s;
  }
  // An empty pattern matches nothing in bash's / and // forms.
  if (p.source === '') return s;
  // An empty value is matched once, by a pattern that matches the empty string (`*`).
  if (s === '') return p.re.test('') ? rep('') : s;
  let out = '';
  let i = 0;
  while (i <= s.length) {
    let matched = -1;
    for (let e = s.length; e >= i; e--) {
      if (p.re.test(s.slice(i, e))) {
        matched = e;
        break;
      }
    }
    if (matched === -1 || (matched === i && i === s.length)) {
      if (i < s.length) out += s[i];
      i++;
      continue;
    }
    out += rep(s.slice(i, matched));
    if (mode === '/') return out + s.slice(matched);
    if (matched === i) {
      if (i < s.length) out += s[i];
      i++;
    } else i = matched;
  }
  return out;
}
