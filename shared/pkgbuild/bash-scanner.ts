import type { RawLines, Redir } from './ast.ts';
import { fail } from './parse-error.ts';

const RESERVED = new Set([
  'if',
  'then',
  'elif',
  'else',
  'fi',
  'case',
  'esac',
  'for',
  'select',
  'while',
  'until',
  'do',
  'done',
  'in',
  'function',
  '{',
  '}',
  '[[',
  ']]',
  '!',
]);

/** First characters of the reserved words, by character code. */
const RESERVED_START = charTable([...RESERVED].map((w) => w[0]!).join(''));
/** Characters that end the word peekReserved reads: metacharacters, quotes, `\\`, `$`, `` ` ``. */
const WORD_END = charTable(' \t\n;&|()<>"\'\\$`');

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** A shell name: a variable, a function or a `for` loop's variable. */
export const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Characters that end an unquoted word (bash's metacharacters). */
export function isMeta(c: string): boolean {
  return (
    c === ' ' ||
    c === '\t' ||
    c === '\n' ||
    c === ';' ||
    c === '&' ||
    c === '|' ||
    c === '(' ||
    c === ')' ||
    c === '<' ||
    c === '>'
  );
}

/** A `<<` redirection whose body starts after the current line. */
export type PendingHeredoc = { redir: Redir; delim: string; strip: boolean };

/**
 * The lowest layer of the bash parser: a cursor over the source that skips blanks, comments and
 * line continuations, reads here-document bodies when their line ends, recognises reserved words
 * and reports bash's own syntax errors. The word, condition and command layers extend it.
 */
export abstract class BashScanner {
  pos = 0;
  /** Multi-line literal text, kept so line-based checks can tell code lines from data. */
  raw: RawLines[] = [];
  protected heredocs: PendingHeredoc[] = [];

  constructor(readonly src: string) {}

  /** Skips blanks and line continuations; with `newlines`, also comments and newlines. */
  skipSpace(newlines = false): void {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && src[this.pos + 1] === '\n') this.pos += 2;
      else if (c === '#') this.skipComment();
      else if (c === '\n' && newlines) this.newline();
      else return;
    }
  }

  protected skipComment(): void {
    const end = this.src.indexOf('\n', this.pos);
    this.pos = end === -1 ? this.src.length : end;
  }

  /** Consumes a newline token and reads any here-documents that were waiting for it. */
  protected newline(): void {
    this.pos++;
    const pending = this.heredocs;
    if (pending.length === 0) return;
    this.heredocs = [];
    for (const h of pending) this.readHeredoc(h);
  }

  protected readHeredoc(h: PendingHeredoc): void {
    const src = this.src;
    const start = this.pos;
    for (;;) {
      if (this.pos >= src.length) break;
      let end = src.indexOf('\n', this.pos);
      if (end === -1) end = src.length;
      let line = src.slice(this.pos, end);
      if (h.strip) line = line.replace(/^\t+/, '');
      const bodyEnd = this.pos;
      this.pos = Math.min(end + 1, src.length);
      if (line === h.delim) {
        h.redir.heredoc = src.slice(start, bodyEnd);
        this.raw.push({ text: `\n${src.slice(start, bodyEnd)}`, start });
        return;
      }
    }
    // bash only warns about a here-document ended by end of file, and keeps going.
    h.redir.heredoc = src.slice(start);
    this.raw.push({ text: `\n${src.slice(start)}`, start });
  }

  /** The reserved word at the cursor, if the next word is exactly one. */
  peekReserved(): string | undefined {
    const src = this.src;
    // Most words are no reserved word: rule them out by their first character, without a slice.
    if (!RESERVED_START[src.charCodeAt(this.pos)]) return undefined;
    let end = this.pos;
    while (end < src.length) {
      const c = src.charCodeAt(end);
      if (WORD_END[c]) break;
      end++;
      // The longest reserved word is 'function'.
      if (end - this.pos > 8) return undefined;
    }
    if (end === this.pos) return undefined;
    const w = src.slice(this.pos, end);
    if (!RESERVED.has(w)) return undefined;
    const next = src[end];
    if (next !== undefined && !isMeta(next)) return undefined;
    return w;
  }

  protected atTerminator(terms: string[]): boolean {
    if (terms.length === 0) return false;
    const src = this.src;
    for (const t of terms) {
      if (t === ')' || t === ';;' || t === ';&' || t === ';;&') {
        if (src.startsWith(t, this.pos)) return true;
      }
    }
    const r = this.peekReserved();
    return r !== undefined && terms.includes(r);
  }

  unexpected(): never {
    const src = this.src;
    if (this.pos >= src.length)
      fail('UNEXPECTED_EOF', 'syntax error: unexpected end of file', this.pos);
    let end = this.pos + 1;
    const ops = [';;&', ';;', ';&', '&&', '||', '>>', '<<', ')', '(', ';', '&', '|'];
    const op = ops.find((o) => src.startsWith(o, this.pos));
    if (op) end = this.pos + op.length;
    else {
      while (end < src.length && !isMeta(src[end]!)) end++;
    }
    const token = src[this.pos] === '\n' ? 'newline' : src.slice(this.pos, end);
    fail('UNEXPECTED_TOKEN', `syntax error near unexpected token '${token}'`, this.pos);
  }

  protected expectReserved(word: string): void {
    this.skipSpace(true);
    if (this.peekReserved() !== word) {
      if (this.pos >= this.src.length) {
        fail(
          'UNEXPECTED_EOF',
          `syntax error: unexpected end of file, expected '${word}'`,
          this.pos,
        );
      }
      this.unexpected();
    }
    this.pos += word.length;
  }

  /** Skips `((…))` or `$((…))` from just inside the parentheses; returns the offset after. */
  protected skipArith(from: number, start: number): number {
    const src = this.src;
    let depth = 0;
    for (let i = from; i < src.length; i++) {
      const c = src[i];
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) {
          if (src[i + 1] === ')') return i + 2;
          fail('UNTERMINATED_EXPANSION', 'unterminated arithmetic expression', start);
        }
        depth--;
      }
    }
    fail('UNTERMINATED_EXPANSION', 'unterminated arithmetic expression', start);
  }
}
