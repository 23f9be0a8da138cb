import { decodeAnsiC } from './ansi-c.ts';
import type {
  AndOr,
  Assign,
  CaseCommand,
  Command,
  CondExpr,
  ForCommand,
  FunctionDef,
  IfCommand,
  List,
  LoopCommand,
  ParamPart,
  Part,
  Pipeline,
  RawLines,
  Redir,
  Script,
  SimpleCommand,
  Word,
} from './ast.ts';
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
const UNARY_TESTS = new Set('abcdefghknoprstuvwxzGLNOS'.split('').map((c) => `-${c}`));
const BINARY_TESTS = new Set([
  '==',
  '=',
  '!=',
  '=~',
  '-eq',
  '-ne',
  '-lt',
  '-le',
  '-gt',
  '-ge',
  '-ef',
  '-nt',
  '-ot',
]);
const NAME_START = /[A-Za-z_]/;
const ASSIGNMENT = /([A-Za-z_][A-Za-z0-9_]*)(\[[^\]\n]*\])?(\+?)=/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPECIAL_PARAMS = '@*#?$!-0123456789';
const DECLARATION = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);

/** Characters that end an unquoted word (bash's metacharacters). */
function isMeta(c: string): boolean {
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

/** Thrown inside readBracedExpansion for a malformed `${…}`; caught by readBraced. */
const BAD = Symbol('bad substitution');
/** Thrown for a `${…}` whose expansion rules we do not model; it is refused if expanded. */
const UNSUPPORTED = Symbol('unsupported substitution');

type PendingHeredoc = { redir: Redir; delim: string; strip: boolean };

/** How the characters of a `${…}` argument are read. */
type ArgMode = { stops: string; inDq: boolean; pattern: boolean };

/**
 * Parses bash source into the syntax tree the evaluator walks. It follows bash's grammar for
 * everything PKGBUILDs contain, and fails with bash's own complaint where bash would.
 * @example parseBash('pkgname=foo\npackage() { :; }\n').list.length // 2
 */
export function parseBash(src: string): Script {
  const parser = new BashParser(src);
  const list = parser.parseList([]);
  parser.skipSpace(true);
  if (parser.pos < src.length) parser.unexpected();
  return { list, rawLines: parser.raw };
}

class BashParser {
  pos = 0;
  raw: RawLines[] = [];
  private heredocs: PendingHeredoc[] = [];

  constructor(readonly src: string) {}

  // ---- low-level scanning -------------------------------------------------

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

  private skipComment(): void {
    const end = this.src.indexOf('\n', this.pos);
    this.pos = end === -1 ? this.src.length : end;
  }

  /** Consumes a newline token and reads any here-documents that were waiting for it. */
  private newline(): void {
    this.pos++;
    const pending = this.heredocs;
    if (pending.length === 0) return;
    this.heredocs = [];
    for (const h of pending) this.readHeredoc(h);
  }

  private readHeredoc(h: PendingHeredoc): void {
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
    let end = this.pos;
    while (end < src.length) {
      const c = src[end]!;
      if (isMeta(c) || c === '"' || c === "'" || c === '\\' || c === '$' || c === '`') break;
      end++;
    }
    if (end === this.pos) return undefined;
    const w = src.slice(this.pos, end);
    if (!RESERVED.has(w)) return undefined;
    const next = src[end];
    if (next !== undefined && !isMeta(next)) return undefined;
    return w;
  }

  private atTerminator(terms: string[]): boolean {
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

  private expectReserved(word: string): void {
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

  // ---- lists and commands -------------------------------------------------

  /** A command list, up to (not including) one of `terms` or end of input. */
  parseList(terms: string[], nonEmpty = false): List {
    const items: List = [];
    const src = this.src;
    for (;;) {
      this.skipSpace(true);
      if (this.pos >= src.length || this.atTerminator(terms)) break;
      const item = this.parseAndOr();
      items.push(item);
      this.skipSpace(false);
      const c = src[this.pos];
      if (c === ';' && src[this.pos + 1] !== ';' && src[this.pos + 1] !== '&') {
        this.pos++;
        continue;
      }
      if (c === '&' && src[this.pos + 1] !== '&') {
        this.pos++;
        item.background = true;
        continue;
      }
      if (c === '\n') {
        this.newline();
        continue;
      }
      if (this.pos >= src.length || this.atTerminator(terms)) break;
      this.unexpected();
    }
    if (nonEmpty && items.length === 0) this.unexpected();
    return items;
  }

  private parseAndOr(): AndOr {
    const start = this.pos;
    const first = this.parsePipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      this.skipSpace(false);
      const two = this.src.slice(this.pos, this.pos + 2);
      if (two !== '&&' && two !== '||') break;
      this.pos += 2;
      this.skipSpace(true);
      rest.push({ op: two, pipeline: this.parsePipeline() });
    }
    return { first, rest, background: false, start };
  }

  private parsePipeline(): Pipeline {
    this.skipSpace(false);
    const start = this.pos;
    let negated = false;
    if (this.peekReserved() === '!') {
      negated = true;
      this.pos++;
      this.skipSpace(false);
    }
    const commands = [this.parseCommand()];
    for (;;) {
      this.skipSpace(false);
      const src = this.src;
      if (src[this.pos] !== '|' || src[this.pos + 1] === '|') break;
      this.pos += src[this.pos + 1] === '&' ? 2 : 1;
      this.skipSpace(true);
      commands.push(this.parseCommand());
    }
    return { negated, commands, start };
  }

  private parseCommand(): Command {
    this.skipSpace(false);
    const src = this.src;
    const start = this.pos;
    const r = this.peekReserved();
    let cmd: Exclude<Command, FunctionDef | SimpleCommand>;
    switch (r) {
      case 'if':
        cmd = this.parseIf();
        break;
      case 'case':
        cmd = this.parseCase();
        break;
      case 'for':
      case 'select':
        cmd = this.parseFor(r);
        break;
      case 'while':
      case 'until': {
        this.pos += r.length;
        const cond = this.parseList(['do'], true);
        this.expectReserved('do');
        const body = this.parseList(['done'], true);
        this.expectReserved('done');
        cmd = { t: r, start, end: this.pos, cond, body, redirs: [] };
        break;
      }
      case '{': {
        this.pos++;
        const body = this.parseList(['}'], true);
        this.expectReserved('}');
        cmd = { t: 'group', start, end: this.pos, body, redirs: [] };
        break;
      }
      case '[[': {
        this.pos += 2;
        const expr = this.parseCondOr();
        this.skipSpace(true);
        if (!this.src.startsWith(']]', this.pos)) this.unexpected();
        this.pos += 2;
        cmd = { t: 'cond', start, end: this.pos, expr, redirs: [] };
        break;
      }
      case 'function':
        return this.parseFunctionKeyword();
      case undefined:
        if (src[this.pos] === '(') {
          if (src[this.pos + 1] === '(') {
            this.pos = this.skipArith(this.pos + 2, start);
            cmd = { t: 'arithcmd', start, end: this.pos, redirs: [] };
          } else {
            this.pos++;
            const body = this.parseList([')'], true);
            this.skipSpace(true);
            if (src[this.pos] !== ')') this.unexpected();
            this.pos++;
            cmd = { t: 'subshell', start, end: this.pos, body, redirs: [] };
          }
          break;
        }
        return this.parseSimple();
      default:
        this.unexpected();
    }
    this.parseTrailingRedirs(cmd.redirs);
    cmd.end = Math.max(cmd.end, this.pos);
    return cmd;
  }

  private parseTrailingRedirs(redirs: Redir[]): void {
    for (;;) {
      this.skipSpace(false);
      if (!this.atRedir()) return;
      redirs.push(this.parseRedir());
    }
  }

  private parseIf(): IfCommand {
    const start = this.pos;
    this.pos += 2;
    const clauses: IfCommand['clauses'] = [];
    let otherwise: List | undefined;
    for (;;) {
      const cond = this.parseList(['then'], true);
      this.expectReserved('then');
      const body = this.parseList(['elif', 'else', 'fi'], true);
      clauses.push({ cond, body });
      this.skipSpace(true);
      const r = this.peekReserved();
      if (r === 'elif') {
        this.pos += 4;
        continue;
      }
      if (r === 'else') {
        this.pos += 4;
        otherwise = this.parseList(['fi'], true);
      }
      this.expectReserved('fi');
      break;
    }
    const cmd: IfCommand = { t: 'if', start, end: this.pos, clauses, redirs: [] };
    if (otherwise) cmd.otherwise = otherwise;
    return cmd;
  }

  private parseCase(): CaseCommand {
    const start = this.pos;
    this.pos += 4;
    this.skipSpace(false);
    const word = this.readWord();
    if (word.parts.length === 0) this.unexpected();
    this.skipSpace(true);
    this.expectReserved('in');
    const items: CaseCommand['items'] = [];
    const src = this.src;
    for (;;) {
      this.skipSpace(true);
      if (this.peekReserved() === 'esac') {
        this.pos += 4;
        break;
      }
      if (this.pos >= src.length) this.unexpected();
      const itemStart = this.pos;
      if (src[this.pos] === '(') this.pos++;
      const patterns: Word[] = [];
      for (;;) {
        this.skipSpace(false);
        const p = this.readWord();
        if (p.parts.length === 0) this.unexpected();
        patterns.push(p);
        this.skipSpace(false);
        if (src[this.pos] === '|') {
          this.pos++;
          continue;
        }
        if (src[this.pos] === ')') {
          this.pos++;
          break;
        }
        this.unexpected();
      }
      const body = this.parseList([';;&', ';;', ';&', 'esac']);
      this.skipSpace(true);
      let term = '';
      for (const t of [';;&', ';;', ';&']) {
        if (src.startsWith(t, this.pos)) {
          term = t;
          this.pos += t.length;
          break;
        }
      }
      items.push({ patterns, body, term, start: itemStart });
      if (!term) {
        this.expectReserved('esac');
        break;
      }
    }
    return { t: 'case', start, end: this.pos, word, items, redirs: [] };
  }

  private parseFor(kind: 'for' | 'select'): ForCommand | LoopCommand {
    const start = this.pos;
    this.pos += kind.length;
    this.skipSpace(false);
    const src = this.src;
    if (kind === 'for' && src.startsWith('((', this.pos)) {
      this.pos = this.skipArith(this.pos + 2, start);
      this.skipSpace(false);
      if (src[this.pos] === ';') this.pos++;
      this.expectReserved('do');
      const body = this.parseList(['done'], true);
      this.expectReserved('done');
      return { t: 'arithfor', start, end: this.pos, cond: [], body, redirs: [] };
    }
    NAME.lastIndex = this.pos;
    const m = NAME.exec(src);
    if (!m) this.unexpected();
    const name = m[0];
    this.pos += name.length;
    this.skipSpace(true);
    let words: Word[] | undefined;
    if (this.peekReserved() === 'in') {
      this.pos += 2;
      words = [];
      for (;;) {
        this.skipSpace(false);
        const c = src[this.pos];
        if (c === ';' || c === '\n' || c === undefined) break;
        const w = this.readWord();
        if (w.parts.length === 0) this.unexpected();
        words.push(w);
      }
    }
    this.skipSpace(false);
    if (src[this.pos] === ';') this.pos++;
    this.expectReserved('do');
    const body = this.parseList(['done'], true);
    this.expectReserved('done');
    if (kind === 'select') return { t: 'select', start, end: this.pos, cond: [], body, redirs: [] };
    const cmd: ForCommand = { t: 'for', start, end: this.pos, name, body, redirs: [] };
    if (words) cmd.words = words;
    return cmd;
  }

  private parseFunctionKeyword(): FunctionDef {
    const start = this.pos;
    this.pos += 'function'.length;
    this.skipSpace(false);
    const src = this.src;
    const nameStart = this.pos;
    while (this.pos < src.length && !isMeta(src[this.pos]!)) this.pos++;
    const name = src.slice(nameStart, this.pos);
    if (!name) this.unexpected();
    this.skipSpace(false);
    if (src[this.pos] === '(') {
      this.pos++;
      this.skipSpace(false);
      if (src[this.pos] !== ')') this.unexpected();
      this.pos++;
    }
    return this.parseFunctionBody(name, start);
  }

  private parseFunctionBody(name: string, start: number): FunctionDef {
    this.skipSpace(true);
    const bodyStart = this.pos;
    const r = this.peekReserved();
    const compound =
      r === '{' ||
      r === 'if' ||
      r === 'case' ||
      r === 'for' ||
      r === 'select' ||
      r === 'while' ||
      r === 'until' ||
      r === '[[' ||
      (r === undefined && this.src[this.pos] === '(');
    if (!compound) this.unexpected();
    const body = this.parseCommand();
    return {
      t: 'func',
      start,
      end: this.pos,
      name,
      body,
      bodyText: this.src.slice(bodyStart, body.end),
      bodyStart,
    };
  }

  private parseSimple(): Command {
    const src = this.src;
    const start = this.pos;
    const cmd: SimpleCommand = {
      t: 'simple',
      start,
      end: start,
      assigns: [],
      words: [],
      redirs: [],
    };
    for (;;) {
      this.skipSpace(false);
      const c = src[this.pos];
      if (c === undefined || c === '\n' || c === ';' || c === '&' || c === '|' || c === ')') break;
      if (c === '#') break;
      if ((c === '<' || c === '>') && src[this.pos + 1] === '(') {
        cmd.words.push(this.readWord());
        continue;
      }
      if (this.atRedir()) {
        cmd.redirs.push(this.parseRedir());
        continue;
      }
      if (c === '(') {
        const first = cmd.words[0];
        if (cmd.words.length === 1 && cmd.assigns.length === 0 && cmd.redirs.length === 0) {
          const name = plainText(first!);
          if (name !== undefined) {
            this.pos++;
            this.skipSpace(false);
            if (src[this.pos] !== ')') this.unexpected();
            this.pos++;
            return this.parseFunctionBody(name, start);
          }
        }
        this.unexpected();
      }
      ASSIGNMENT.lastIndex = this.pos;
      const m = ASSIGNMENT.exec(src);
      if (m && cmd.words.length === 0) {
        cmd.assigns.push(this.parseAssignment(m));
        continue;
      }
      if (m && DECLARATION.has(plainText(cmd.words[0]!) ?? '')) {
        // `local x=(…)`: declaration builtins take array assignments as arguments. Kept as
        // raw text: such a command is never evaluated, only recognised.
        const a = this.parseAssignment(m);
        const text = src.slice(a.start, a.end);
        cmd.words.push({
          parts: [{ t: 'lit', v: text, q: false, start: a.start }],
          start: a.start,
          end: a.end,
        });
        continue;
      }
      cmd.words.push(this.readWord());
    }
    if (cmd.assigns.length + cmd.words.length + cmd.redirs.length === 0) this.unexpected();
    cmd.end = this.pos;
    return cmd;
  }

  private parseAssignment(m: RegExpExecArray): Assign {
    const start = this.pos;
    this.pos += m[0].length;
    const a: Assign = { name: m[1]!, append: m[3] === '+', start, end: start };
    if (m[2]) a.subscript = m[2].slice(1, -1);
    const src = this.src;
    if (src[this.pos] === '(') {
      this.pos++;
      const array: Word[] = [];
      for (;;) {
        this.skipSpace(true);
        const c = src[this.pos];
        if (c === ')') {
          this.pos++;
          break;
        }
        if (c === undefined) {
          fail('UNEXPECTED_EOF', `unterminated array '${a.name}=('`, start);
        }
        const w = this.readWord();
        if (w.parts.length === 0) this.unexpected();
        array.push(w);
      }
      a.array = array;
    } else {
      a.value = this.readWord();
    }
    a.end = this.pos;
    return a;
  }

  private atRedir(): boolean {
    const src = this.src;
    const c = src[this.pos];
    if (c === '<' || c === '>') return true;
    if (c === '&' && src[this.pos + 1] === '>') return true;
    if (c !== undefined && c >= '0' && c <= '9') {
      let i = this.pos;
      while (src[i] !== undefined && src[i]! >= '0' && src[i]! <= '9') i++;
      return src[i] === '<' || src[i] === '>';
    }
    return false;
  }

  private parseRedir(): Redir {
    const src = this.src;
    const start = this.pos;
    while (src[this.pos]! >= '0' && src[this.pos]! <= '9') this.pos++;
    const ops = ['<<<', '<<-', '&>>', '<<', '<>', '<&', '>>', '>&', '>|', '&>', '<', '>'];
    const op = ops.find((o) => src.startsWith(o, this.pos))!;
    this.pos += op.length;
    this.skipSpace(false);
    const target = this.readWord();
    if (target.parts.length === 0) this.unexpected();
    const redir: Redir = { op, target, start };
    if (op === '<<' || op === '<<-') {
      this.heredocs.push({ redir, delim: heredocDelimiter(target), strip: op === '<<-' });
    }
    return redir;
  }

  /** Skips `((…))` or `$((…))` from just inside the parentheses; returns the offset after. */
  private skipArith(from: number, start: number): number {
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

  // ---- [[ … ]] ------------------------------------------------------------

  private condPeek(): string {
    this.skipSpace(true);
    const src = this.src;
    for (const t of [']]', '&&', '||']) if (src.startsWith(t, this.pos)) return t;
    const c = src[this.pos];
    if (c === '(' || c === ')' || c === '<' || c === '>') return c;
    if (c === '!' && (src[this.pos + 1] === undefined || isMeta(src[this.pos + 1]!))) return '!';
    return '';
  }

  private parseCondOr(): CondExpr {
    let left = this.parseCondAnd();
    while (this.condPeek() === '||') {
      const start = this.pos;
      this.pos += 2;
      left = { t: 'or', left, right: this.parseCondAnd(), start };
    }
    return left;
  }

  private parseCondAnd(): CondExpr {
    let left = this.parseCondNot();
    while (this.condPeek() === '&&') {
      const start = this.pos;
      this.pos += 2;
      left = { t: 'and', left, right: this.parseCondNot(), start };
    }
    return left;
  }

  private parseCondNot(): CondExpr {
    if (this.condPeek() === '!') {
      const start = this.pos;
      this.pos++;
      return { t: 'not', expr: this.parseCondNot(), start };
    }
    return this.parseCondPrimary();
  }

  private parseCondPrimary(): CondExpr {
    const p = this.condPeek();
    const start = this.pos;
    if (p === '(') {
      this.pos++;
      const e = this.parseCondOr();
      if (this.condPeek() !== ')') this.unexpected();
      this.pos++;
      return e;
    }
    if (p !== '') this.unexpected();
    const w1 = this.readWord();
    const t1 = plainText(w1);
    if (t1 !== undefined && UNARY_TESTS.has(t1)) {
      const q = this.condPeek();
      if (q === '') return { t: 'unary', op: t1, arg: this.readWord(), start };
    }
    const q = this.condPeek();
    if (q === '<' || q === '>') {
      this.pos++;
      this.condPeek();
      return { t: 'binary', op: q, left: w1, right: this.readWord(), start };
    }
    if (q === '') {
      const save = this.pos;
      const opWord = this.readWord();
      const op = plainText(opWord);
      if (op !== undefined && BINARY_TESTS.has(op)) {
        this.condPeek();
        const right = op === '=~' ? this.readRegexWord() : this.readWord();
        if (right.parts.length === 0) this.unexpected();
        return { t: 'binary', op, left: w1, right, start };
      }
      this.pos = save;
      this.unexpected();
    }
    return { t: 'word', word: w1, start };
  }

  /** The right side of `=~`, where bash lets parentheses and `|` into the word. */
  private readRegexWord(): Word {
    const src = this.src;
    const start = this.pos;
    let depth = 0;
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if ((c === ' ' || c === '\t' || c === '\n') && depth === 0) break;
      else if (c === '\\') this.pos++;
      this.pos++;
    }
    return {
      parts: [{ t: 'lit', v: src.slice(start, this.pos), q: false, start }],
      start,
      end: this.pos,
    };
  }

  // ---- words ----------------------------------------------------------------

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
   * `mode.stops`.
   */
  private readParts(mode: ArgMode | null): Part[] {
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
        if (/["$`\\]/.test(src.slice(this.pos + 1, end))) throw UNSUPPORTED;
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
      if (!lit) litStart = this.pos;
      lit += c;
      this.pos++;
    }
    if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted, start: litStart });
    lit = '';
    return parts;
  }

  private readDouble(): Part {
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
      lit += c;
      this.pos++;
    }
    if (lit) parts.push({ t: 'lit', v: lit, q: true, start: litStart });
    lit = '';
    const text = src.slice(start, this.pos);
    if (text.includes('\n')) this.raw.push({ text, start });
    return { t: 'dq', parts, start };
  }

  /** `<(…)` and `>(…)`: a command whose output is a file name; a command substitution to us. */
  private readProcessSubstitution(): Part {
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

  private readBacktick(q: boolean): Part {
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
  private readDollar(q: boolean): Part | undefined {
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
        return { t: 'arith', start, q };
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
      return { t: 'arith', start, q };
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
  private readBraced(q: boolean): ParamPart {
    const start = this.pos;
    try {
      return this.readBracedExpansion(q);
    } catch (error) {
      if (error !== BAD && error !== UNSUPPORTED) throw error;
      const end = this.matchingBrace(start + 2);
      if (end === -1) fail('UNTERMINATED_EXPANSION', "unterminated '${'", start);
      this.pos = end + 1;
      const text = this.src.slice(start, end + 1);
      if (error === UNSUPPORTED)
        return { t: 'param', start, name: '', braced: true, q, unsupported: text };
      return { t: 'param', start, name: '', braced: true, q, bad: text };
    }
  }

  /** The `}` closing a `${` whose body starts at `from`, skipping quotes and nested `${…}`. */
  private matchingBrace(from: number): number {
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

  private readBracedExpansion(q: boolean): ParamPart {
    const src = this.src;
    const start = this.pos;
    this.pos += 2;
    const p: ParamPart = { t: 'param', start, name: '', braced: true, q };
    const bad = (): never => {
      throw BAD;
    };
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
    } else bad();
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
        if (src[this.pos] !== ']') bad();
        p.index = { parts, start: s, end: this.pos };
        this.pos++;
      }
    }
    const c = src[this.pos];
    if (c === undefined) throw BAD;
    if (c === '}') {
      this.pos++;
      return p;
    }
    if (p.length) bad();
    const arg = (stops: string, pattern: boolean): Word => {
      const s = this.pos;
      const parts = this.readParts({ stops, inDq: q, pattern });
      return { parts, start: s, end: this.pos };
    };
    const two = src.slice(this.pos, this.pos + 2);
    if (c === ':' && '-=+?'.includes(src[this.pos + 1] ?? '')) {
      p.op = two;
      this.pos += 2;
      p.arg = arg('}', false);
    } else if (c === ':') {
      p.op = ':';
      this.pos++;
      p.arg = arg(':}', false);
      if (src[this.pos] === ':') {
        this.pos++;
        p.arg2 = arg('}', false);
      }
    } else if ('-=+?'.includes(c)) {
      p.op = c;
      this.pos++;
      p.arg = arg('}', false);
    } else if (c === '%' || c === '#') {
      p.op = src[this.pos + 1] === c ? c + c : c;
      this.pos += p.op.length;
      p.arg = arg('}', true);
    } else if (c === '/') {
      const n = src[this.pos + 1];
      p.op = n === '/' || n === '#' || n === '%' ? two : '/';
      this.pos += p.op.length;
      p.arg = arg('/}', true);
      if (src[this.pos] === '/') {
        this.pos++;
        // bash 5.2 replaces an unquoted & with the match even inside double quotes.
        p.arg2 = arg('}', true);
      }
    } else if (c === '^' || c === ',') {
      p.op = src[this.pos + 1] === c ? c + c : c;
      this.pos += p.op.length;
      p.arg = arg('}', true);
    } else if (c === '@') {
      p.op = two;
      this.pos += 2;
    } else bad();
    if (src[this.pos] !== '}') bad();
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
function heredocDelimiter(w: Word): string {
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
