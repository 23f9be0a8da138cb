import { fail } from './parse-error.ts';

const SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/**
 * Decodes the body of a `$'…'` string the way bash does, from `start` (just after the opening
 * quote) to the closing quote. Non-ASCII `\u` escapes are refused: bash encodes them by locale.
 * @example decodeAnsiC("a\\tb'", 0) // { value: 'a\tb', end: 5 }
 */
export function decodeAnsiC(src: string, start: number): { value: string; end: number } {
  let out = '';
  let i = start;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "'") return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const n = src[i + 1];
    if (n === undefined) break;
    if (SIMPLE[n] !== undefined) {
      out += SIMPLE[n];
      i += 2;
      continue;
    }
    if (n >= '0' && n <= '7') {
      const m = /[0-7]{1,3}/y;
      m.lastIndex = i + 1;
      const digits = m.exec(src)![0];
      const code = Number.parseInt(digits, 8) & 0xff;
      if (code > 0x7f) fail('LOCALE_DEPENDENT', `$'\\${digits}' is a raw non-ASCII byte`, i);
      out += String.fromCharCode(code);
      i += 1 + digits.length;
      continue;
    }
    if (n === 'x' || n === 'u' || n === 'U') {
      const max = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const m = new RegExp(`[0-9a-fA-F]{1,${max}}`, 'y');
      m.lastIndex = i + 2;
      const hex = m.exec(src)?.[0];
      if (!hex) {
        out += `\\${n}`;
        i += 2;
        continue;
      }
      const code = Number.parseInt(hex, 16);
      if (code > 0x7f) {
        fail('LOCALE_DEPENDENT', `$'\\${n}${hex}' encodes a non-ASCII character by locale`, i);
      }
      out += String.fromCharCode(code);
      i += 2 + hex.length;
      continue;
    }
    if (n === 'c') {
      const ch = src[i + 2];
      if (ch === undefined) break;
      out += String.fromCharCode(ch.toUpperCase().charCodeAt(0) & 0x1f);
      i += 3;
      continue;
    }
    out += `\\${n}`;
    i += 2;
  }
  fail('UNTERMINATED_QUOTE', "unterminated $' quote", start - 2);
}
