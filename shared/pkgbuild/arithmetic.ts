import type { Scope } from './expand.ts';
import { fail } from './parse-error.ts';

/**
 * bash's integer arithmetic (`$((…))`, `((…))`, substring offsets) on literals and the
 * PKGBUILD's own variables: 64-bit wrapping integers, bash's precedence, short-circuit `&&`
 * `||` `?:`. Assignments (`=`, `+=`, `++`, `--`), subscripts and `,` are refused, never guessed.
 * @example evalArith('pkgrel + 1', scope, 0) // 3n when pkgrel=2
 */
export function evalArith(text: string, scope: Scope, at: number): bigint {
  return new ArithParser(text, scope, at, 0).run();
}

/** Replaces `$name` and `${name}` in a `$((…))` body; anything else with `$` or quotes is refused. */
export function substituteArith(text: string, scope: Scope, at: number): string {
  const simple = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  if (/[$`'"\\]/.test(text.replace(simple, ''))) {
    fail(
      'ARITHMETIC',
      `arithmetic expression '${preview(text)}' uses expansions or quotes beyond $name`,
      at,
    );
  }
  return text.replace(simple, (_m, a, b) => {
    const v = scope.get((a ?? b) as string, at);
    if (v === undefined) return '';
    return v.kind === 'string' ? v.value : (v.values[0] ?? '');
  });
}

function preview(text: string): string {
  const t = text.trim().split('\n')[0]!;
  return t.length > 40 ? `${t.slice(0, 40)}...` : t;
}

const MAX_DEPTH = 64;
const wrap = (n: bigint): bigint => BigInt.asIntN(64, n);

type Tok =
  | { k: 'num'; v: bigint }
  | { k: 'name'; v: string }
  | { k: 'op'; v: string }
  | { k: 'end' };

const OPS = [
  '**',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '&',
  '^',
  '|',
  '!',
  '~',
  '?',
  ':',
  '(',
  ')',
];

class ArithParser {
  private pos = 0;
  private tok: Tok = { k: 'end' };
  /** Inside the untaken side of `&&`, `||` or `?:`: bash reports no division by zero there. */
  private noeval = 0;

  constructor(
    readonly text: string,
    readonly scope: Scope,
    readonly at: number,
    readonly depth: number,
  ) {}

  run(): bigint {
    if (this.depth > MAX_DEPTH) this.error('expression recursion level exceeded');
    this.next();
    if (this.tok.k === 'end') return 0n;
    const v = this.ternary();
    if ((this.tok as Tok).k !== 'end')
      this.error(`syntax error in expression (error token is '${this.rest()}')`);
    return v;
  }

  private rest(): string {
    return this.text.slice(this.pos).trim();
  }

  private error(why: string): never {
    fail('ARITHMETIC', `arithmetic '${preview(this.text)}': ${why}`, this.at);
  }

  private next(): void {
    const s = this.text;
    while (this.pos < s.length && /[ \t\n]/.test(s[this.pos]!)) this.pos++;
    if (this.pos >= s.length) {
      this.tok = { k: 'end' };
      return;
    }
    const c = s[this.pos]!;
    if (/[0-9]/.test(c)) {
      const m = /[0-9][0-9A-Za-z_@#]*/y;
      m.lastIndex = this.pos;
      const lit = m.exec(s)![0];
      this.pos += lit.length;
      this.tok = { k: 'num', v: this.number(lit) };
      return;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /[A-Za-z_][A-Za-z0-9_]*/y;
      m.lastIndex = this.pos;
      const name = m.exec(s)![0];
      this.pos += name.length;
      this.tok = { k: 'name', v: name };
      return;
    }
    const three = s.slice(this.pos, this.pos + 3);
    if (/^(\*\*=|<<=|>>=)/.test(three)) this.error('assignment is not evaluated statically');
    const two = s.slice(this.pos, this.pos + 2);
    if (two === '++' || two === '--') this.error(`'${two}' assigns, not evaluated statically`);
    if (/^[-+*/%&^|]=$/.test(two)) this.error('assignment is not evaluated statically');
    if (c === '=' && two !== '==') this.error('assignment is not evaluated statically');
    if (c === ',') this.error("the comma operator ',' is not evaluated statically");
    if (c === '[') this.error('array subscripts are not evaluated statically');
    const op = OPS.find((o) => s.startsWith(o, this.pos));
    if (!op)
      this.error(`syntax error: invalid arithmetic operator (error token is '${this.rest()}')`);
    this.pos += op.length;
    this.tok = { k: 'op', v: op };
  }

  /** bash's integer constants: decimal, 0x hex, 0 octal, base#digits. */
  private number(lit: string): bigint {
    let base = 10;
    let digits = lit;
    const hash = lit.indexOf('#');
    if (hash !== -1) {
      base = Number(lit.slice(0, hash));
      digits = lit.slice(hash + 1);
      if (!/^[0-9]+$/.test(lit.slice(0, hash)) || base < 2 || base > 64) {
        this.error(`invalid arithmetic base (error token is '${lit}')`);
      }
      if (digits === '') this.error(`invalid integer constant (error token is '${lit}')`);
    } else if (/^0[xX]/.test(lit)) {
      base = 16;
      digits = lit.slice(2);
      // bash reads a bare 0x as 0.
      if (digits === '') return 0n;
    } else if (lit.length > 1 && lit[0] === '0') {
      base = 8;
      digits = lit.slice(1);
    }
    let v = 0n;
    for (const ch of digits) {
      let d: number;
      if (ch >= '0' && ch <= '9') d = ch.charCodeAt(0) - 48;
      else if (ch >= 'a' && ch <= 'z') d = ch.charCodeAt(0) - 97 + 10;
      else if (ch >= 'A' && ch <= 'Z') d = ch.charCodeAt(0) - 65 + (base <= 36 ? 10 : 36);
      else if (ch === '@') d = 62;
      else if (ch === '_') d = 63;
      else d = 99;
      if (d >= base) this.error(`value too great for base (error token is '${lit}')`);
      v = wrap(v * BigInt(base) + BigInt(d));
    }
    return v;
  }

  private isOp(v: string): boolean {
    return this.tok.k === 'op' && this.tok.v === v;
  }

  private ternary(): bigint {
    const cond = this.logOr();
    if (!this.isOp('?')) return cond;
    this.next();
    if (cond === 0n) this.noeval++;
    const a = this.ternary();
    if (cond === 0n) this.noeval--;
    if (!this.isOp(':')) this.error("`:' expected for conditional expression");
    this.next();
    if (cond !== 0n) this.noeval++;
    const b = this.ternary();
    if (cond !== 0n) this.noeval--;
    return cond !== 0n ? a : b;
  }

  private logOr(): bigint {
    let v = this.logAnd();
    while (this.isOp('||')) {
      this.next();
      if (v !== 0n) this.noeval++;
      const r = this.logAnd();
      if (v !== 0n) this.noeval--;
      v = v !== 0n || r !== 0n ? 1n : 0n;
    }
    return v;
  }

  private logAnd(): bigint {
    let v = this.binary(0);
    while (this.isOp('&&')) {
      this.next();
      if (v === 0n) this.noeval++;
      const r = this.binary(0);
      if (v === 0n) this.noeval--;
      v = v !== 0n && r !== 0n ? 1n : 0n;
    }
    return v;
  }

  private static readonly LEVELS: string[][] = [
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<=', '>=', '<', '>'],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): bigint {
    if (level === ArithParser.LEVELS.length) return this.power();
    const ops = ArithParser.LEVELS[level]!;
    let v = this.binary(level + 1);
    while (this.tok.k === 'op' && ops.includes(this.tok.v)) {
      const op = this.tok.v;
      this.next();
      const r = this.binary(level + 1);
      v = this.apply(op, v, r);
    }
    return v;
  }

  private apply(op: string, a: bigint, b: bigint): bigint {
    switch (op) {
      case '|':
        return a | b;
      case '^':
        return a ^ b;
      case '&':
        return a & b;
      case '==':
        return a === b ? 1n : 0n;
      case '!=':
        return a !== b ? 1n : 0n;
      case '<=':
        return a <= b ? 1n : 0n;
      case '>=':
        return a >= b ? 1n : 0n;
      case '<':
        return a < b ? 1n : 0n;
      case '>':
        return a > b ? 1n : 0n;
      case '<<':
      case '>>':
        if (b < 0n || b >= 64n) {
          if (this.noeval) return 0n;
          this.error(`shift by ${b} is not evaluated statically`);
        }
        return op === '<<' ? wrap(a << b) : a >> b;
      case '+':
        return wrap(a + b);
      case '-':
        return wrap(a - b);
      case '*':
        return wrap(a * b);
      default:
        // '/' and '%'
        if (b === 0n) {
          if (this.noeval) return 0n;
          this.error('division by 0');
        }
        return op === '/' ? wrap(a / b) : wrap(a % b);
    }
  }

  private power(): bigint {
    const base = this.unary();
    if (!this.isOp('**')) return base;
    this.next();
    const exp = this.power();
    if (exp < 0n) {
      if (this.noeval) return 0n;
      this.error('exponent less than 0');
    }
    let result = 1n;
    let b = base;
    let e = exp;
    while (e > 0n) {
      if (e & 1n) result = wrap(result * b);
      b = wrap(b * b);
      e >>= 1n;
    }
    return result;
  }

  private unary(): bigint {
    if (this.tok.k === 'op') {
      const op = this.tok.v;
      if (op === '-' || op === '+' || op === '!' || op === '~') {
        this.next();
        const v = this.unary();
        if (op === '-') return wrap(-v);
        if (op === '+') return v;
        if (op === '!') return v === 0n ? 1n : 0n;
        return ~v;
      }
      if (op === '(') {
        this.next();
        const v = this.ternary();
        if (!this.isOp(')')) this.error("missing `)'");
        this.next();
        return v;
      }
    }
    const t = this.tok;
    if (t.k === 'num') {
      this.next();
      return t.v;
    }
    if (t.k === 'name') {
      this.next();
      return this.variable(t.v);
    }
    return this.error(
      `syntax error: operand expected (error token is '${t.k === 'op' ? t.v : ''}${this.rest()}')`,
    );
  }

  /** A name's value is itself an arithmetic expression; unset or empty reads as 0. */
  private variable(name: string): bigint {
    const v = this.scope.get(name, this.at);
    const s = v === undefined ? '' : v.kind === 'string' ? v.value : (v.values[0] ?? '');
    if (s.trim() === '') return 0n;
    const inner = new ArithParser(s, this.scope, this.at, this.depth + 1);
    inner.noeval = this.noeval;
    return inner.run();
  }
}
