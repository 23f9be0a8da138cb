import { decodeAnsiC } from './ansi-c.ts';
import type { List, ParamPart, Part, Word } from './ast.ts';
import { BashScanner, isMeta, NAME } from './bash-scanner.ts';
import { fail } from './parse-error.ts';

const NAME_START = /[A-Za-z_]/;
const SPECIAL_PARAMS = '@*#?$!-0123456789';

/** Characters readParts handles one at a time in a word (metacharacters, quotes, `\\`, `$`, `` ` ``). */
const WORD_SPECIAL = charTable(' \t\n;&|()<>"\'\\$`');
/** The same inside `${…}`, where only the argument's stops end the run (checked apart). */
const ARG_SPECIAL = charTable('"\'\\$`');
/** Characters readDouble handles one at a time. */
const DQ_SPECIAL = charTable('"\\$`');

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** How the characters of a `${…}` argument are read. */
type ArgMode = { stops: string; inDq: boolean; pattern: boolean };

/**
 * Why a `${…}` could not be read as an expansion: `bad` is malformed (bash's "bad
 * substitution" when expanded), `unsupported` follows rules we do not model (refused if expanded).
 */
type BracedFailure = 'bad' | 'unsupported';

/**
 * The word layer of the bash parser: quotes, backslashes, `$…` and `${…}` expansions, command
 * and process substitutions. Command substitutions hold command lists, so the command layer
 * above supplies `parseList`.
 */
export abstract class BashWordReader extends BashScanner {
  /** A command list, up to (not including) one of `terms` or end of input. */
  abstract parseList(terms: string[], nonEmpty?: boolean): List;

  /** One shell word at the cursor (possibly empty when the cursor is on a metacharacter). */
  readWord(): Word {
    const start = this.pos;
    const parts = this.readParts(null);
    const word: Word = { parts, start, end: this.pos };
    // bash's brace expansion pairs the quotes inside a double-quoted ${…} its own way, so a
    // `{` anywhere else in such a word may or may not expand: flagged, refused if expanded.
    if (
      parts.some(hasNestedQuotes) &&
      this.src.slice(start, this.pos).replace(/\$\{/g, '').includes('{')
    ) {
      word.braceAmbiguous = true;
    }
    return word;
  }

  /**
   * Reads word parts until an unquoted metacharacter (mode null) or, inside `${…}`, until one of
   * `mode.stops`. Inside `${…}` it stops early with `unsupported` at quoting we do not model.
   */
  protected readParts(mode: null): Part[];
  protected readParts(mode: ArgMode): Part[] | 'unsupported';
  protected readParts(mode: ArgMode | null): Part[] | 'unsupported' {
    const src = this.src;
    const parts: Part[] = [];
    let lit = '';
    let litStart = this.pos;
    const litQuoted = mode ? mode.inDq && !mode.pattern : false;
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      if (!mode && (c === '<' || c === '>') && src[this.pos + 1] === '(') {
        if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted, start: litStart });
        lit = '';
        parts.push(this.readProcessSubstitution());
        litStart = this.pos;
        continue;
      }
      if (mode ? mode.stops.includes(c) : isMeta(c)) break;
      if (c === '\\') {
        const n = src[this.pos + 1];
        if (n === '\n') {
          this.pos += 2;
          continue;
        }
        if (mode?.inDq && !mode.pattern && n !== undefined && !'$`"\\}'.includes(n)) {
          // Inside "${x:-…}" a backslash only escapes what it escapes in double quotes.
          if (!lit) litStart = this.pos;
          lit += c + n;
          this.pos += 2;
          continue;
        }
        if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted, start: litStart });
        lit = '';
        if (n === undefined) {
          lit = '\\';
          litStart = this.pos;
          this.pos++;
          continue;
        }
        parts.push({ t: 'lit', v: n, q: true, start: this.pos });
        this.pos += 2;
        litStart = this.pos;
        continue;
      }
      if (c === "'" && mode?.inDq && !mode.pattern) {
        // In "${x:-'…'}" the quotes still hide a `}` from the parser but stay in the value.
        const end = src.indexOf("'", this.pos + 1);
        if (end === -1) fail('UNTERMINATED_QUOTE', 'unterminated single quote', this.pos);
        // There bash still expands $ and removes " inside the quotes: not modelled, refused.
        if (/["$`\\]/.test(src.slice(this.pos + 1, end))) return 'unsupported';
        if (!lit) litStart = this.pos;
        lit += src.slice(this.pos, end + 1);
        this.pos = end + 1;
        continue;
      }
      if (c === "'" && !(mode?.inDq && !mode.pattern)) {
        if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted, start: litStart });
        lit = '';
        const end = src.indexOf("'", this.pos + 1);
        if (end === -1) fail('UNTERMINATED_QUOTE', 'unterminated single quote', this.pos);
        const v = src.slice(this.pos + 1, end);
        if (v.includes('\n')) this.raw.push({ text: v, start: this.pos });
        parts.push({ t: 'lit', v, q: true, start: this.pos });
        this.pos = end + 1;
        litStart = this.pos;
        continue;
      }
      if (c === '"') {
        if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted, start: litStart });
        lit = '';
        parts.push(this.readDouble());
        litStart = this.pos;
        continue;
      }
      if (c === '$' || c === '`') {
        const save = this.pos;
        const part =
          c === '$' ? this.readDollar(mode ? mode.inDq : false) : this.readBacktick(false);
        if (part) {
          if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted, start: litStart });
          lit = '';
          parts.push(part);
          litStart = this.pos;
          continue;
        }
        this.pos = save + 1;
        if (!lit) litStart = save;
        lit += '$';
        continue;
      }
      // A run of ordinary characters is taken in one slice.
      if (!lit) litStart = this.pos;
      let end = this.pos + 1;
      if (mode) {
        while (
          end < src.length &&
          !ARG_SPECIAL[src.charCodeAt(end)] &&
          !mode.stops.includes(src[end]!)
        )
          end++;
      } else {
        while (end < src.length && !WORD_SPECIAL[src.charCodeAt(end)]) end++;
      }
      lit += end === this.pos + 1 ? c : src.slice(this.pos, end);
      this.pos = end;
    }
    if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted, start: litStart });
    lit = '';
    return parts;
  }

  protected readDouble(): Part {
    const src = this.src;
    const start = this.pos;
    this.pos++;
    const parts: Part[] = [];
    let lit = '';
    let litStart = this.pos;
    for (;;) {
      if (this.pos >= src.length) fail('UNTERMINATED_QUOTE', 'unterminated double quote', start);
      const c = src[this.pos]!;
      if (c === '"') {
        this.pos++;
        break;
      }
      if (c === '\\') {
        const n = src[this.pos + 1];
        if (n === '\n') {
          this.pos += 2;
          continue;
        }
        if (n === '$' || n === '`' || n === '"' || n === '\\') {
          if (!lit) litStart = this.pos;
          lit += n;
          this.pos += 2;
          continue;
        }
        if (!lit) litStart = this.pos;
        lit += '\\';
        this.pos++;
        continue;
      }
      if (c === '$' || c === '`') {
        const save = this.pos;
        const part = c === '$' ? this.readDollar(true) : this.readBacktick(true);
        if (part) {
          if (lit) parts.push({ t: 'lit', v: lit, q: true, start: litStart });
          lit = '';
          parts.push(part);
          litStart = this.pos;
          continue;
        }
        this.pos = save + 1;
        if (!lit) litStart = save;
        lit += '$';
        continue;
      }
      if (!lit) litStart = this.pos;
      let end = this.pos + 1;
      while (end < src.length && !DQ_SPECIAL[src.charCodeAt(end)]) end++;
      lit += end === this.pos + 1 ? c : src.slice(this.pos, end);
      this.pos = end;
    }
    if (lit) parts.push({ t: 'lit', v: lit, q: true, start: litStart });
    lit = '';
    const text = src.slice(start, this.pos);
    if (text.includes('\n')) this.raw.push({ text, start });
    return { t: 'dq', parts, start };
  }

  /** `<(…)` and `>(…)`: a command whose output is a file name; a command substitution to us. */
  protected readProcessSubstitution(): Part {
    const src = this.src;
    const start = this.pos;
    this.pos += 2;
    const savedHeredocs = this.heredocs;
    this.heredocs = [];
    const body = this.parseList([')']);
    this.skipSpace(true);
    this.heredocs = savedHeredocs;
    if (src[this.pos] !== ')')
      fail('UNTERMINATED_EXPANSION', 'unterminated process substitution', start);
    this.pos++;
    return { t: 'cmdsub', start, body, text: src.slice(start, this.pos), q: false };
  }

  protected readBacktick(q: boolean): Part {
    const src = this.src;
    const start = this.pos;
    let i = this.pos + 1;
    while (i < src.length && src[i] !== '`') i += src[i] === '\\' ? 2 : 1;
    if (i >= src.length) fail('UNTERMINATED_EXPANSION', 'unterminated backquote', start);
    this.pos = i + 1;
    const text = src.slice(start, this.pos);
    if (text.includes('\n')) this.raw.push({ text, start });
    return { t: 'cmdsub', start, text, q };
  }

  /** `$…` at the cursor; undefined when the `$` is a literal dollar sign. */
  protected readDollar(q: boolean): Part | undefined {
    const src = this.src;
    const start = this.pos;
    const n = src[this.pos + 1];
    if (n === "'" && !q) {
      const { value, end } = decodeAnsiC(src, this.pos + 2);
      this.pos = end;
      return { t: 'lit', v: value, q: true, start };
    }
    if (n === '"' && !q) {
      this.pos++;
      const part = this.readDouble();
      part.start = start;
      return part;
    }
    if (n === '{') return this.readBraced(q);
    if (n === '(') {
      if (src[this.pos + 2] === '(') {
        this.pos = this.skipArith(this.pos + 3, start);
        return { t: 'arith', start, q, expr: src.slice(start + 3, this.pos - 2) };
      }
      this.pos += 2;
      const savedHeredocs = this.heredocs;
      this.heredocs = [];
      const body = this.parseList([')']);
      this.skipSpace(true);
      this.heredocs = savedHeredocs;
      if (src[this.pos] !== ')') {
        fail('UNTERMINATED_EXPANSION', 'unterminated command substitution', start);
      }
      this.pos++;
      const text = src.slice(start, this.pos);
      if (text.includes('\n')) this.raw.push({ text, start });
      return { t: 'cmdsub', start, body, text, q };
    }
    if (n === '[') {
      const end = src.indexOf(']', this.pos + 2);
      if (end === -1) fail('UNTERMINATED_EXPANSION', 'unterminated $[ expression', start);
      this.pos = end + 1;
      return { t: 'arith', start, q, expr: src.slice(start + 2, end) };
    }
    if (n !== undefined && NAME_START.test(n)) {
      NAME.lastIndex = this.pos + 1;
      const name = NAME.exec(src)![0];
      this.pos += 1 + name.length;
      return { t: 'param', start, name, braced: false, q };
    }
    if (n !== undefined && SPECIAL_PARAMS.includes(n)) {
      this.pos += 2;
      return { t: 'param', start, name: n, braced: false, q };
    }
    return undefined;
  }

  /**
   * `${…}`. A malformed one is only an error when bash expands it (a function body may hold
   * one and still source), so it becomes a part that fails on evaluation.
   */
  protected readBraced(q: boolean): ParamPart {
    const start = this.pos;
    const read = this.readBracedExpansion(q);
    if (typeof read !== 'string') return read;
    const end = this.matchingBrace(start + 2);
    if (end === -1) fail('UNTERMINATED_EXPANSION', "unterminated '${'", start);
    this.pos = end + 1;
    const text = this.src.slice(start, end + 1);
    if (read === 'unsupported')
      return { t: 'param', start, name: '', braced: true, q, unsupported: text };
    return { t: 'param', start, name: '', braced: true, q, bad: text };
  }

  /** The `}` closing a `${` whose body starts at `from`, skipping quotes and nested `${…}`. */
  protected matchingBrace(from: number): number {
    const src = this.src;
    let depth = 0;
    for (let i = from; i < src.length; i++) {
      const c = src[i];
      if (c === '\\') i++;
      else if (c === "'") {
        const e = src.indexOf("'", i + 1);
        if (e === -1) return -1;
        i = e;
      } else if (c === '"') {
        i++;
        while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
      } else if (c === '$' && src[i + 1] === '{') {
        depth++;
        i++;
      } else if (c === '}') {
        if (depth === 0) return i;
        depth--;
      }
    }
    return -1;
  }

  /** The `${…}` at the cursor, or why it is no expansion we read (the cursor is then anywhere). */
  protected readBracedExpansion(q: boolean): ParamPart | BracedFailure {
    const src = this.src;
    const start = this.pos;
    this.pos += 2;
    const p: ParamPart = { t: 'param', start, name: '', braced: true, q };
    if (src[this.pos] === '#' && src[this.pos + 1] !== '}') {
      p.length = true;
      this.pos++;
    } else if (src[this.pos] === '!' && src[this.pos + 1] !== '}') {
      p.indirect = true;
      this.pos++;
    }
    NAME.lastIndex = this.pos;
    const m = NAME.exec(src);
    if (m) {
      p.name = m[0];
      this.pos += m[0].length;
    } else if (/[0-9]/.test(src[this.pos] ?? '')) {
      const d = /[0-9]+/y;
      d.lastIndex = this.pos;
      p.name = d.exec(src)![0];
      this.pos += p.name.length;
    } else if (src[this.pos] !== undefined && '@*#?$!-'.includes(src[this.pos]!)) {
      p.name = src[this.pos]!;
      this.pos++;
    } else return 'bad';
    if (src[this.pos] === '[') {
      if (src.startsWith('[@]', this.pos)) {
        p.index = '@';
        this.pos += 3;
      } else if (src.startsWith('[*]', this.pos)) {
        p.index = '*';
        this.pos += 3;
      } else {
        const s = ++this.pos;
        const parts = this.readParts({ stops: ']', inDq: true, pattern: false });
        if (parts === 'unsupported') return parts;
        if (src[this.pos] !== ']') return 'bad';
        p.index = { parts, start: s, end: this.pos };
        this.pos++;
      }
    }
    const c = src[this.pos];
    if (c === undefined) return 'bad';
    if (c === '}') {
      this.pos++;
      return p;
    }
    if (p.length) return 'bad';
    const arg = (stops: string, pattern: boolean): Word | 'unsupported' => {
      const s = this.pos;
      const parts = this.readParts({ stops, inDq: q, pattern });
      if (parts === 'unsupported') return parts;
      return { parts, start: s, end: this.pos };
    };
    const two = src.slice(this.pos, this.pos + 2);
    let stops = '}';
    let pattern = false;
    if (c === ':' && '-=+?'.includes(src[this.pos + 1] ?? '')) {
      p.op = two;
    } else if (c === ':') {
      p.op = ':';
      stops = ':}';
    } else if ('-=+?'.includes(c)) {
      p.op = c;
    } else if (c === '%' || c === '#' || c === '^' || c === ',') {
      p.op = src[this.pos + 1] === c ? c + c : c;
      pattern = true;
    } else if (c === '/') {
      const n = src[this.pos + 1];
      p.op = n === '/' || n === '#' || n === '%' ? two : '/';
      stops = '/}';
      pattern = true;
    } else if (c === '@') {
      p.op = two;
    } else return 'bad';
    this.pos += p.op.length;
    if (c !== '@') {
      const first = arg(stops, pattern);
      if (first === 'unsupported') return first;
      p.arg = first;
      // `${x:off:len}` and `${x/pat/rep}` take a second argument after the first stop.
      if (stops !== '}' && src[this.pos] === stops[0]) {
        this.pos++;
        // bash 5.2 replaces an unquoted & with the match even inside double quotes.
        const second = arg('}', pattern);
        if (second === 'unsupported') return second;
        p.arg2 = second;
      }
    }
    if (src[this.pos] !== '}') return 'bad';
    this.pos++;
    // bash's brace expansion scans the raw word and pairs these quotes differently.
    if (q && /['"]/.test(src.slice(start, this.pos))) p.nestedQuotes = true;
    return p;
  }
}

function hasNestedQuotes(p: Part): boolean {
  if (p.t === 'dq') return p.parts.some(hasNestedQuotes);
  return p.t === 'param' && p.nestedQuotes === true;
}

/** The text of a word made only of unquoted literal characters, else undefined. */
export function plainText(w: Word): string | undefined {
  if (w.parts.length !== 1) return w.parts.length === 0 ? '' : undefined;
  const p = w.parts[0]!;
  return p.t === 'lit' && !p.q ? p.v : undefined;
}

/** A here-document delimiter is the word with quotes removed and no expansion. */
export function heredocDelimiter(w: Word): string {
  let out = '';
  const walk = (parts: Part[]) => {
    for (const p of parts) {
      if (p.t === 'lit') out += p.v;
      else if (p.t === 'dq') walk(p.parts);
      else if (p.t === 'param') out += `$${p.braced ? `{${p.name}}` : p.name}`;
    }
  };
  walk(w.parts);
  return out;
}
