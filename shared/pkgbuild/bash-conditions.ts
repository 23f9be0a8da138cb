import type { CondExpr, Word } from './ast.ts';
import { isMeta } from './bash-scanner.ts';
import { BashWordReader, plainText } from './bash-words.ts';

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

/**
 * The `[[ … ]]` layer of the bash parser: `||`, `&&`, `!`, parentheses, unary and binary tests,
 * and the regex word after `=~`, which bash reads by its own rules.
 */
export abstract class BashConditionParser extends BashWordReader {
  protected condPeek(): string {
    this.skipSpace(true);
    const src = this.src;
    for (const t of [']]', '&&', '||']) if (src.startsWith(t, this.pos)) return t;
    const c = src[this.pos];
    if (c === '(' || c === ')' || c === '<' || c === '>') return c;
    if (c === '!' && (src[this.pos + 1] === undefined || isMeta(src[this.pos + 1]!))) return '!';
    return '';
  }

  protected parseCondOr(): CondExpr {
    let left = this.parseCondAnd();
    while (this.condPeek() === '||') {
      const start = this.pos;
      this.pos += 2;
      left = { t: 'or', left, right: this.parseCondAnd(), start };
    }
    return left;
  }

  protected parseCondAnd(): CondExpr {
    let left = this.parseCondNot();
    while (this.condPeek() === '&&') {
      const start = this.pos;
      this.pos += 2;
      left = { t: 'and', left, right: this.parseCondNot(), start };
    }
    return left;
  }

  protected parseCondNot(): CondExpr {
    if (this.condPeek() === '!') {
      const start = this.pos;
      this.pos++;
      return { t: 'not', expr: this.parseCondNot(), start };
    }
    return this.parseCondPrimary();
  }

  protected parseCondPrimary(): CondExpr {
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
  protected readRegexWord(): Word {
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
}
