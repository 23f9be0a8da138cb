import type {
  Assign,
  Command,
  FunctionDef,
  List,
  Part,
  RawLines,
  SimpleCommand,
  Word,
} from './ast.ts';
import { assignedValue } from './evaluate.ts';
import type { Scope, Value } from './expand.ts';
import { fail } from './parse-error.ts';
import { ARRAY_SET, STRING_SET } from './schema.ts';

/**
 * One line of `declare -f package_x` that makepkg's extract_function_variable greps for
 * (`^[[:space:]]* name\+?=\(` for arrays, `…=[^(]` for strings) and then evals.
 */
export type OverrideLine = {
  name: string;
  assign: Assign;
  /** Matches the array regex: `name=(` or `name+=(`. */
  arrayForm: boolean;
  /** Matches the string regex: `name=` followed by a character other than `(`. */
  stringForm: boolean;
};

/** True for schema fields and their `_suffix` variants: the names makepkg greps for. */
export function isFieldName(name: string): boolean {
  if (ARRAY_SET.has(name) || STRING_SET.has(name)) return true;
  const u = name.indexOf('_');
  if (u <= 0) return false;
  const base = name.slice(0, u);
  return ARRAY_SET.has(base) || STRING_SET.has(base);
}

const RAW_LINE = /^[ \t\n\v\f\r]* ([A-Za-z_][A-Za-z0-9_]*)\+?=/;

/**
 * Finds the override lines of a package function as makepkg would: it greps the function as
 * `declare -f` prints it, so only an assignment that starts a printed line counts (not one after
 * `&&`, not one in a condition), in every branch, in source order. Where bash's printed layout
 * is not certain (subshells, command substitutions, heredocs), an override-looking line is
 * refused instead of guessed.
 * @example scanOverrides(fn, src) // [{ name: 'depends', arrayForm: true, … }]
 */
export function scanOverrides(fn: FunctionDef, src: string, rawLines: RawLines[]): OverrideLine[] {
  for (const raw of rawLines) {
    if (raw.start < fn.bodyStart || raw.start >= fn.end) continue;
    const lines = raw.text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const m = RAW_LINE.exec(lines[i]!);
      if (m && isFieldName(m[1]!)) {
        fail(
          'OVERRIDE_UNSUPPORTED',
          `a line of multi-line text in ${fn.name}() looks like an override of '${m[1]}'; makepkg would eval it`,
          raw.start,
        );
      }
    }
  }
  const out: OverrideLine[] = [];
  const scanner = new Scanner(src, out, fn.name);
  scanner.structure(fn.body);
  return out;
}

class Scanner {
  constructor(
    readonly src: string,
    readonly out: OverrideLine[],
    readonly fn: string,
  ) {}

  /** A list whose items each start a printed line; `lastNoSemi` for `{…}` and case bodies. */
  list(list: List, lastNoSemi: boolean): void {
    list.forEach((item, i) => {
      const trailingSemi = !(lastNoSemi && i === list.length - 1);
      const single = item.rest.length === 0 && item.first.commands.length === 1 && !item.background;
      const [head, ...tail] = item.first.commands;
      if (item.first.negated) this.inline(head!);
      else this.lineStart(head!, single ? trailingSemi : 'extra');
      for (const c of tail) this.inline(c);
      for (const r of item.rest) for (const c of r.pipeline.commands) this.inline(c);
    });
  }

  private lineStart(cmd: Command, trailing: boolean | 'extra'): void {
    if (cmd.t !== 'simple') {
      this.structure(cmd);
      return;
    }
    this.words(cmd.words);
    for (const a of cmd.assigns) this.assignWords(a);
    const a = cmd.assigns[0];
    if (!a || a.subscript !== undefined || !isFieldName(a.name)) return;
    const arrayForm = a.array !== undefined;
    const extras =
      cmd.assigns.length > 1 ||
      cmd.words.length > 0 ||
      cmd.redirs.length > 0 ||
      trailing === 'extra';
    const stringForm =
      !arrayForm && ((a.value?.parts.length ?? 0) > 0 || extras || trailing === true);
    if (!arrayForm && !stringForm) return;
    if (extras) {
      fail(
        'OVERRIDE_UNSUPPORTED',
        `the line setting '${a.name}' in ${this.fn}() does more than assign; makepkg evals the whole line`,
        a.start,
      );
    }
    // declare -f prints an array on one line, but a value holding a newline stays split.
    const words = a.array ?? (a.value ? [a.value] : []);
    const multiline = words.some((w) =>
      this.src.slice(w.start, w.end).replace(/\\\n/g, '').includes('\n'),
    );
    if (multiline || hasNewline(a)) {
      fail(
        'OVERRIDE_UNSUPPORTED',
        `'${a.name}' in ${this.fn}() spans lines; makepkg only reads its first line`,
        a.start,
      );
    }
    this.out.push({ name: a.name, assign: a, arrayForm, stringForm });
  }

  /** A command that does not start a printed line: it is never read as an override. */
  private inline(cmd: Command): void {
    if (cmd.t !== 'simple') {
      this.structure(cmd);
      return;
    }
    this.words(cmd.words);
    for (const a of cmd.assigns) this.assignWords(a);
  }

  structure(cmd: Command): void {
    switch (cmd.t) {
      case 'simple':
        this.inline(cmd);
        return;
      case 'func':
        this.structure(cmd.body);
        return;
      case 'group':
        this.list(cmd.body, true);
        return;
      case 'subshell':
        this.uncertain(cmd.body);
        return;
      case 'if':
        for (const c of cmd.clauses) {
          this.condition(c.cond);
          this.list(c.body, false);
        }
        if (cmd.otherwise) this.list(cmd.otherwise, false);
        return;
      case 'while':
      case 'until':
      case 'select':
      case 'arithfor':
        this.condition(cmd.cond);
        this.list(cmd.body, false);
        return;
      case 'for':
        this.words(cmd.words ?? []);
        this.list(cmd.body, false);
        return;
      case 'case':
        this.words([cmd.word]);
        for (const item of cmd.items) {
          this.words(item.patterns);
          // declare -f prints each pattern list on its own line: `depends=*)` would be grepped.
          const head = this.src.slice(item.patterns[0]!.start, item.patterns[0]!.end);
          const m = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/.exec(head);
          if (m && isFieldName(m[1]!)) {
            fail(
              'OVERRIDE_UNSUPPORTED',
              `the case pattern '${head}' in ${this.fn}() looks like an override; makepkg would eval it`,
              item.patterns[0]!.start,
            );
          }
          this.list(item.body, true);
        }
        return;
      case 'cond':
      case 'arithcmd':
        return;
    }
  }

  private condition(list: List): void {
    list.forEach((item, i) => {
      if (i === 0) {
        for (const c of item.first.commands) this.inline(c);
        for (const r of item.rest) for (const c of r.pipeline.commands) this.inline(c);
      } else this.uncertain([item]);
    });
  }

  /** Inside a subshell or command substitution bash's line layout is not certain: refuse overrides. */
  private uncertain(list: List): void {
    for (const c of simpleCommands(list)) {
      const a = c.assigns[0];
      if (a && isFieldName(a.name)) {
        fail(
          'OVERRIDE_UNSUPPORTED',
          `'${a.name}' is set inside a subshell, condition or command substitution in ${this.fn}()`,
          a.start,
        );
      }
      this.words(c.words);
      for (const x of c.assigns) this.assignWords(x);
    }
  }

  private assignWords(a: Assign): void {
    if (a.value) this.words([a.value]);
    if (a.array) this.words(a.array);
  }

  private words(words: Word[]): void {
    for (const w of words) this.parts(w.parts);
  }

  private parts(parts: Part[]): void {
    for (const p of parts) {
      if (p.t === 'dq') this.parts(p.parts);
      else if (p.t === 'cmdsub') {
        if (p.body) this.uncertain(p.body);
        else if (/(^|[\s;&|(`])[A-Za-z_][A-Za-z0-9_]*\+?=/.test(p.text)) {
          const names = [...p.text.matchAll(/(?:^|[\s;&|(`])([A-Za-z_][A-Za-z0-9_]*)\+?=/g)];
          const hit = names.find((m) => isFieldName(m[1]!));
          if (hit) {
            fail(
              'OVERRIDE_UNSUPPORTED',
              `'${hit[1]}' is set inside a command substitution in ${this.fn}()`,
              p.start,
            );
          }
        }
      } else if (p.t === 'param') {
        if (p.arg) this.parts(p.arg.parts);
        if (p.arg2) this.parts(p.arg2.parts);
      }
    }
  }
}

/** Every simple command in a list, through all compound commands. */
function simpleCommands(list: List): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  const visitList = (l: List) => {
    for (const item of l) {
      for (const c of item.first.commands) visit(c);
      for (const r of item.rest) for (const c of r.pipeline.commands) visit(c);
    }
  };
  const visit = (c: Command): void => {
    switch (c.t) {
      case 'simple':
        out.push(c);
        return;
      case 'func':
        visit(c.body);
        return;
      case 'group':
      case 'subshell':
        visitList(c.body);
        return;
      case 'if':
        for (const cl of c.clauses) {
          visitList(cl.cond);
          visitList(cl.body);
        }
        if (c.otherwise) visitList(c.otherwise);
        return;
      case 'while':
      case 'until':
      case 'select':
      case 'arithfor':
        visitList(c.cond);
        visitList(c.body);
        return;
      case 'for':
        visitList(c.body);
        return;
      case 'case':
        for (const item of c.items) visitList(item.body);
        return;
      default:
        return;
    }
  };
  visitList(list);
  return out;
}

function hasNewline(a: Assign): boolean {
  if (a.value && partsHaveNewline(a.value.parts)) return true;
  if (a.array) for (const w of a.array) if (partsHaveNewline(w.parts)) return true;
  return false;
}

function partsHaveNewline(parts: Part[]): boolean {
  for (const p of parts) {
    if (p.t === 'lit' ? p.v.includes('\n') : p.t === 'dq' && partsHaveNewline(p.parts)) return true;
  }
  return false;
}

/** Names makepkg's own functions hold as locals while they eval an override line. */
const SHADOWED = new Set([
  'pkg',
  'singlevalued',
  'multivalued',
  'attr',
  'package_arch',
  'a',
  'multivalued_arch_attrs',
  'attrname',
  'isarray',
  'outvalue',
  'outputvar',
  'funcname',
  'attr_regex',
  'decl',
  'r',
  'ret',
  'list',
  'name',
  'all_list',
  'i',
  'out',
  'bad',
  'file',
  'kopt',
  'options_list',
  'backup_list',
  'changelog_list',
  'install_list',
  'pkgname_backup',
  'type',
  'ver',
  'v',
  'depend',
  'depends_list',
  'checkdepend',
  'checkdepends_list',
  'makedepend',
  'makedepends_list',
  'optdepend',
  'optdepends_list',
  'conflict',
  'conflicts_list',
  'provide',
  'provides_list',
]);

/**
 * The scope an override line is evaluated in: the PKGBUILD's final globals, `$pkgname` as
 * makepkg sets it for this evaluation, and a refusal for makepkg's own locals.
 */
export function overrideScope(base: Scope, pkgname: Value): Scope {
  const scope: Scope = {
    extglob: true,
    get(name, at) {
      if (name === 'pkgname') return pkgname;
      if (SHADOWED.has(name)) {
        fail(
          'OVERRIDE_UNSUPPORTED',
          `an override refers to $${name}, which makepkg's own functions shadow while evaluating it`,
          at,
        );
      }
      return base.get(name, at);
    },
  };
  if (base.maxBraceWords !== undefined) scope.maxBraceWords = base.maxBraceWords;
  if (base.budget !== undefined) scope.budget = base.budget;
  if (base.maxValueLength !== undefined) scope.maxValueLength = base.maxValueLength;
  return scope;
}

/**
 * makepkg's get_pkgbuild_attribute for one package: start from the global value, then eval
 * every matching override line in order. `matched` is extract_function_variable's result.
 */
export function evaluateOverride(
  lines: OverrideLine[],
  attr: string,
  isArray: boolean,
  initial: Value,
  scope: Scope,
): { matched: boolean; value: Value } {
  let value = initial;
  let matched = false;
  for (const line of lines) {
    if (line.name !== attr || !(isArray ? line.arrayForm : line.stringForm)) continue;
    matched = true;
    value = assignedValue(line.assign, scope, value);
  }
  return { matched, value };
}
