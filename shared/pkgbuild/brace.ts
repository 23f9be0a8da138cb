import type { Part } from './ast.ts';
import { fail } from './parse-error.ts';

/** A word as brace expansion sees it: unquoted characters, and opaque parts (quotes, $…). */
type Token = string | Part;

/**
 * bash's brace expansion (`{a,b}`, `{1..3}`, `{01..10..2}`, `{a..e}`), done on the parsed
 * word before any other expansion, as bash does.
 * @example braceExpand(parseWord('x{a,b}')) // two part lists: xa, xb
 */
export function braceExpand(parts: Part[], maxWords: number): Part[][] {
  if (!hasOpenBrace(parts)) return [parts];
  const tokens: Token[] = [];
  for (const p of parts) {
    if (p.t === 'lit' && !p.q) for (const c of p.v) tokens.push(c);
    else tokens.push(p);
  }
  const at = parts[0]?.start ?? 0;
  const out: Token[][] = [];
  expand(tokens, out, at, maxWords);
  return out.map((ts) => toParts(ts, at));
}

function hasOpenBrace(parts: Part[]): boolean {
  for (const p of parts) if (p.t === 'lit' && !p.q && p.v.includes('{')) return true;
  return false;
}

const NAME_CHAR = /^[A-Za-z0-9_]$/;

function toParts(tokens: Token[], at: number): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (typeof t === 'string') lit += t;
    else if (t.t === 'param' && !t.braced && /^[A-Za-z_]/.test(t.name)) {
      // bash expands braces on the text first: `$x{a,b}` reads the variables xa and xb.
      let name = t.name;
      while (typeof tokens[i + 1] === 'string' && NAME_CHAR.test(tokens[i + 1] as string)) {
        name += tokens[++i] as string;
      }
      if (lit) parts.push({ t: 'lit', v: lit, q: false, start: at });
      lit = '';
      parts.push(name === t.name ? t : { ...t, name });
    } else {
      if (lit) parts.push({ t: 'lit', v: lit, q: false, start: at });
      lit = '';
      parts.push(t);
    }
  }
  if (lit) parts.push({ t: 'lit', v: lit, q: false, start: at });
  return parts;
}

function expand(tokens: Token[], out: Token[][], at: number, max: number): void {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== '{') continue;
    const found = alternatives(tokens, i, at, max);
    if (!found) continue;
    const prefix = tokens.slice(0, i);
    const suffix = tokens.slice(found.end + 1);
    for (const alt of found.alts) {
      expand([...prefix, ...alt, ...suffix], out, at, max);
      if (out.length > max) tooMany(max, at);
    }
    return;
  }
  out.push(tokens);
}

/** The alternatives of the brace group opening at `open`, if it is a valid expansion. */
function alternatives(
  tokens: Token[],
  open: number,
  at: number,
  max: number,
): { alts: Token[][]; end: number } | undefined {
  let depth = 0;
  const commas: number[] = [];
  for (let j = open + 1; j < tokens.length; j++) {
    const t = tokens[j];
    if (t === '{') depth++;
    else if (t === '}') {
      if (depth === 0) {
        if (commas.length > 0) {
          const alts: Token[][] = [];
          let from = open + 1;
          for (const c of [...commas, j]) {
            alts.push(tokens.slice(from, c));
            from = c + 1;
          }
          return { alts, end: j };
        }
        const inner = tokens.slice(open + 1, j);
        if (inner.every((x) => typeof x === 'string')) {
          const seq = sequence((inner as string[]).join(''), at, max);
          if (seq) return { alts: seq.map((s) => s.split('')), end: j };
        }
        return undefined;
      }
      depth--;
    } else if (t === ',' && depth === 0) commas.push(j);
  }
  return undefined;
}

/** bash caps nothing here; we cap so a hostile `{1..99999999}` cannot exhaust the edge. */
function tooMany(max: number, at: number): never {
  fail('LIMIT_EXCEEDED', `brace expansion makes more than ${max} words (maxBraceWords)`, at);
}

const NUM_SEQ = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/;
const CHAR_SEQ = /^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/;

/** `{x..y[..incr]}` as bash expands it, or undefined when the text is not a sequence. */
function sequence(text: string, at: number, max: number): string[] | undefined {
  const n = NUM_SEQ.exec(text);
  if (n) {
    const a = Number(n[1]);
    const b = Number(n[2]);
    let step = Math.abs(Number(n[3] ?? 1)) || 1;
    const count = Math.floor(Math.abs(b - a) / step) + 1;
    if (count > max) tooMany(max, at);
    const padded = /^-?0\d/.test(n[1]!) || /^-?0\d/.test(n[2]!);
    const width = padded ? Math.max(n[1]!.length, n[2]!.length) : 0;
    if (b < a) step = -step;
    const out: string[] = [];
    for (let k = 0, v = a; k < count; k++, v += step) {
      let s = String(Math.abs(v));
      const sign = v < 0 ? '-' : '';
      if (width) s = s.padStart(width - sign.length, '0');
      out.push(sign + s);
    }
    return out;
  }
  const c = CHAR_SEQ.exec(text);
  if (c) {
    const a = c[1]!.charCodeAt(0);
    const b = c[2]!.charCodeAt(0);
    const step = Math.abs(Number(c[3] ?? 1)) || 1;
    const out: string[] = [];
    if (a <= b) for (let v = a; v <= b; v += step) out.push(String.fromCharCode(v));
    else for (let v = a; v >= b; v -= step) out.push(String.fromCharCode(v));
    return out;
  }
  return undefined;
}
