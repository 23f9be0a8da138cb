import type {
  AndOr,
  Assign,
  CaseCommand,
  Command,
  ForCommand,
  FunctionDef,
  IfCommand,
  List,
  LoopCommand,
  Pipeline,
  Redir,
  SimpleCommand,
  Word,
} from './ast.ts';
import { BashConditionParser } from './bash-conditions.ts';
import { isMeta, NAME } from './bash-scanner.ts';
import { heredocDelimiter, plainText } from './bash-words.ts';
import { fail } from './parse-error.ts';

// A subscript may hold `${…}` with brackets of its own: `optdepends[${#optdepends[@]}]=…`.
const ASSIGNMENT = /([A-Za-z_][A-Za-z0-9_]*)(\[(?:\$\{[^{}\n]*\}|[^\]\n])*\])?(\+?)=/y;
const DECLARATION = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);

/** ASSIGNMENT at `pos`; a word that does not start with a name character is ruled out first. */
function assignmentAt(src: string, pos: number): RegExpExecArray | null {
  const c = src.charCodeAt(pos);
  // [A-Za-z_]
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return null;
  ASSIGNMENT.lastIndex = pos;
  return ASSIGNMENT.exec(src);
}

/**
 * The command layer of the bash parser: lists, pipelines, compound commands, function
 * definitions, simple commands with their assignments, and redirections.
 */
export class BashCommandParser extends BashConditionParser {
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

  protected parseAndOr(): AndOr {
    const start = this.pos;
    const first = this.parsePipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      this.skipSpace(false);
      const c = this.src[this.pos];
      if ((c !== '&' && c !== '|') || this.src[this.pos + 1] !== c) break;
      const two = c === '&' ? '&&' : '||';
      this.pos += 2;
      this.skipSpace(true);
      rest.push({ op: two, pipeline: this.parsePipeline() });
    }
    return { first, rest, background: false, start };
  }

  protected parsePipeline(): Pipeline {
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

  protected parseCommand(): Command {
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
            const expr = src.slice(start + 2, this.pos - 2);
            cmd = { t: 'arithcmd', start, end: this.pos, expr, redirs: [] };
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

  protected parseTrailingRedirs(redirs: Redir[]): void {
    for (;;) {
      this.skipSpace(false);
      if (!this.atRedir()) return;
      redirs.push(this.parseRedir());
    }
  }

  protected parseIf(): IfCommand {
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

  protected parseCase(): CaseCommand {
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

  protected parseFor(kind: 'for' | 'select'): ForCommand | LoopCommand {
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

  protected parseFunctionKeyword(): FunctionDef {
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

  protected parseFunctionBody(name: string, start: number): FunctionDef {
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

  protected parseSimple(): Command {
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
      // Only a word before the command name, or an argument of a declaration builtin, can be
      // an assignment: the others are not matched against the pattern at all.
      const words = cmd.words.length;
      const m =
        words === 0 || DECLARATION.has(plainText(cmd.words[0]!) ?? '')
          ? assignmentAt(src, this.pos)
          : null;
      if (m && words === 0) {
        cmd.assigns.push(this.parseAssignment(m));
        continue;
      }
      if (m) {
        // `local x=(…)`: declaration builtins take array assignments as arguments. Kept as
        // raw text: such a command is never evaluated, only recognised.
        const a = this.parseAssignment(m);
        const text = src.slice(a.start, a.end);
        cmd.words.push({
          parts: [{ t: 'lit', v: text, q: false, start: a.start }],
          start: a.start,
          end: a.end,
          assign: a,
        });
        continue;
      }
      cmd.words.push(this.readWord());
    }
    if (cmd.assigns.length + cmd.words.length + cmd.redirs.length === 0) this.unexpected();
    cmd.end = this.pos;
    return cmd;
  }

  protected parseAssignment(m: RegExpExecArray): Assign {
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

  protected atRedir(): boolean {
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

  protected parseRedir(): Redir {
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
}
