import { evalArith, substituteArith } from './arithmetic.ts';
import type {
  AndOr,
  Assign,
  Command,
  FunctionDef,
  List,
  Part,
  Script,
  SimpleCommand,
} from './ast.ts';
import { plainText } from './bash-parser.ts';
import { evalCond, evalTest } from './condition.ts';
import { currentValue, DECLARATION_BUILTINS, declaration, writableGuard } from './declaration.ts';
import {
  DEFAULT_MAX_BRACE_WORDS,
  expandFields,
  expandPatternSegs,
  expandString,
  type Scope,
  type Value,
} from './expand.ts';
import { fail, type ParseErrorCode, PendingError, type UnknownOrigin } from './parse-error.ts';
import { compilePattern, DEFAULT_MAX_MATCH_STEPS, MatchBudget, matchWhole } from './pattern.ts';

/** Lowercase names makepkg 6.0.2 defines before it sources a PKGBUILD (from `compgen -v`). */
export const MAKEPKG_NAMES = new Set([
  '_',
  'build_options',
  'buildenv_functions',
  'confdir',
  'executable_functions',
  'extra_environment',
  'func',
  'known_hash_algos',
  'lib',
  'lint_config_functions',
  'lint_package_functions',
  'lint_pkgbuild_functions',
  'makepkg_version',
  'packaging_options',
  'pkgbuild_schema_arch_arrays',
  'pkgbuild_schema_arrays',
  'pkgbuild_schema_package_overrides',
  'pkgbuild_schema_strings',
  'shellopts',
  'signal',
  'startdir',
  'tidy_modify',
  'tidy_remove',
  'using_ccache',
  // Set after sourcing, visible to package-function overrides.
  'srcdir',
  'pkgdir',
  'pkgdirbase',
  'basever',
  // Common lowercase environment variables.
  'http_proxy',
  'https_proxy',
  'ftp_proxy',
  'no_proxy',
  'all_proxy',
]);

export const BASH_READONLY = new Set([
  'BASHOPTS',
  'BASH_VERSINFO',
  'EUID',
  'PPID',
  'SHELLOPTS',
  'UID',
  'IFS',
]);

/** True for names whose value comes from makepkg, makepkg.conf or the environment. */
export function isEnvironmentName(name: string): boolean {
  const c = name.charCodeAt(0);
  return (c >= 65 && c <= 90) || MAKEPKG_NAMES.has(name);
}

/** A variable set to a value we cannot know; `maybeArray` when `x=v` would keep other elements. */
export type UnknownVar = {
  origin: UnknownOrigin;
  at: number;
  maybeArray: boolean;
  /** The unknown part is in this assignment's own word (not read from another variable). */
  direct: boolean;
};

/** Refusals that mean "this value is not knowable here", not "bash would fail". */
const UNKNOWABLE = new Set<ParseErrorCode>([
  'COMMAND_SUBSTITUTION',
  'ENVIRONMENT_VARIABLE',
  'GLOB',
  'TILDE',
]);

/** What sourcing the PKGBUILD leaves behind. */
export type EvalState = {
  vars: Map<string, Value>;
  /** Offset of the last assignment of each variable, for diagnostics. */
  assignedAt: Map<string, number>;
  functions: Map<string, FunctionDef>;
  /**
   * Variables `declare`/`local` made local: makepkg sources the PKGBUILD inside a function
   * (source_safe), so they shadow globals while sourcing and vanish after. `undefined` is a
   * declared but unset local. Emptied when evaluation ends.
   */
  locals: Map<string, Value | undefined>;
  /** Names made readonly; a later assignment is refused (bash aborts on it). */
  readonly: Set<string>;
  /** Names declared associative (`declare -A`): any use of them is refused. */
  assoc: Set<string>;
  /**
   * Globals whose value cannot be known (set from a command substitution, the environment, a
   * glob). Reading one refuses, naming both places; one the .SRCINFO prints is refused at the end.
   */
  unknown: Map<string, UnknownVar>;
  /** Set when the PKGBUILD's final status is a command substitution's: throws that refusal. */
  unknownStatus?: () => never;
  /** Reads the variables above; refuses names makepkg or the environment would supply. */
  scope: Scope;
};

/** Bounds on what a for loop may do, so a hostile PKGBUILD cannot stall the edge. */
export const DEFAULT_MAX_LOOP_ITERATIONS = 10_000;

export const DEFAULT_MAX_VALUE_LENGTH = 1024 * 1024;

export type EvaluateOptions = {
  carch?: string;
  /** Most characters one variable may hold (an array counts its elements). */
  maxValueLength?: number;
  /** Most characters pattern matching may scan in the whole parse. */
  maxMatchSteps?: number;
  /** Most for-loop iterations in one PKGBUILD. */
  maxLoopIterations?: number;
  /** Most words one brace expansion may make. */
  maxBraceWords?: number;
};

/**
 * Runs the top level of a PKGBUILD without bash: assignments, function definitions and the
 * control flow that can be decided from the PKGBUILD's own variables. Anything else is refused.
 * @example evaluate(parseBash('x=1\n[[ $x == 1 ]] && y=2\n'), {}).vars.get('y') // { kind: 'string', value: '2' }
 */
export function evaluate(script: Script, options: EvaluateOptions): EvalState {
  const vars = new Map<string, Value>();
  const maxValue = options.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH;
  const scope: Scope = {
    maxBraceWords: options.maxBraceWords ?? DEFAULT_MAX_BRACE_WORDS,
    budget: new MatchBudget(options.maxMatchSteps ?? DEFAULT_MAX_MATCH_STEPS),
    maxValueLength: maxValue,
    get(name, at) {
      if (state.assoc.has(name)) {
        fail('UNSUPPORTED_EXPANSION', `'${name}' is an associative array (declare -A)`, at);
      }
      if (state.locals.has(name)) return state.locals.get(name);
      const u = state.unknown.get(name);
      if (u !== undefined) {
        throw new PendingError(
          u.origin.code,
          `$${name} is used here, but its value cannot be known statically`,
          at,
          u.origin,
        );
      }
      const v = vars.get(name);
      if (v !== undefined) return v;
      if (name === 'CARCH' && options.carch !== undefined) {
        return { kind: 'string', value: options.carch };
      }
      if (isEnvironmentName(name)) {
        fail(
          'ENVIRONMENT_VARIABLE',
          name === 'CARCH'
            ? '$CARCH comes from makepkg.conf; pass the carch option to decide it'
            : `$${name} comes from makepkg or its environment, not from the PKGBUILD`,
          at,
        );
      }
      return undefined;
    },
    assign(name, value, at) {
      if (MAKEPKG_NAMES.has(name) || BASH_READONLY.has(name)) {
        fail('UNSUPPORTED_ASSIGNMENT', `'${name}' belongs to bash or makepkg`, at);
      }
      writableGuard(state, name, at);
      const target = state.locals.has(name) ? state.locals : vars;
      const old = target.get(name);
      if (old?.kind === 'array')
        target.set(name, { kind: 'array', values: [value, ...old.values.slice(1)] });
      else target.set(name, { kind: 'string', value });
      state.assignedAt.set(name, at);
    },
  };
  const state: EvalState = {
    vars,
    assignedAt: new Map(),
    functions: new Map(),
    locals: new Map(),
    readonly: new Set(),
    assoc: new Set(),
    unknown: new Map(),
    scope,
  };
  const runner = new Runner(state, scope, options.maxLoopIterations ?? DEFAULT_MAX_LOOP_ITERATIONS);
  const status = runner.list(script.list);
  // Refused after the fields are checked, so a field set from $(…) is named first.
  if (status === UNKNOWN_STATUS) {
    state.unknownStatus = () =>
      runner.unknownStatus('decides whether makepkg can source the PKGBUILD');
  }
  if (status !== 0 && status !== UNKNOWN_STATUS && runner.lastAt !== undefined) {
    fail(
      'SOURCE_FAILED',
      'the last command returns non-zero, so makepkg fails to source the PKGBUILD',
      runner.lastAt,
    );
  }
  state.locals.clear();
  return state;
}

/** The exit status of a command whose command substitution we did not run. */
const UNKNOWN_STATUS = -1;

class Runner {
  lastAt: number | undefined;
  /** The command substitution behind the last UNKNOWN_STATUS. */
  private unknownStatusAt = 0;
  private iterations = 0;

  constructor(
    readonly state: EvalState,
    readonly scope: Scope,
    readonly maxIterations: number,
  ) {}

  list(list: List): number {
    let status = 0;
    for (const item of list) status = this.andOr(item);
    return status;
  }

  private andOr(item: AndOr): number {
    if (item.background) fail('PIPELINE', 'a background job (&) runs in a subshell', item.start);
    let status = this.pipeline(item.first.commands, item.first.negated, item.first.start);
    for (const { op, pipeline } of item.rest) {
      if (status === UNKNOWN_STATUS) this.unknownStatus(`decides '${op}'`, pipeline.start);
      if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) {
        status = this.pipeline(pipeline.commands, pipeline.negated, pipeline.start);
      }
    }
    return status;
  }

  private pipeline(commands: Command[], negated: boolean, at: number): number {
    if (commands.length > 1) {
      fail('PIPELINE', 'a pipeline runs its commands in subshells', commands[1]!.start);
    }
    this.lastAt = at;
    const status = this.command(commands[0]!);
    if (status === UNKNOWN_STATUS) return status;
    return negated ? (status === 0 ? 1 : 0) : status;
  }

  private command(cmd: Command): number {
    if (cmd.t === 'while' || cmd.t === 'until' || cmd.t === 'select' || cmd.t === 'arithfor') {
      const what = cmd.t === 'arithfor' ? 'for ((…))' : cmd.t;
      fail('LOOP', `a '${what}' loop cannot be decided statically`, cmd.start);
    }
    if (cmd.t !== 'simple' && cmd.t !== 'func' && cmd.redirs.length > 0) {
      fail('REDIRECTION', 'a redirection touches files', cmd.redirs[0]!.start);
    }
    switch (cmd.t) {
      case 'simple':
        return this.simple(cmd);
      case 'func':
        this.state.functions.set(cmd.name, cmd);
        return 0;
      case 'if':
        for (const clause of cmd.clauses) {
          const cond = this.list(clause.cond);
          if (cond === UNKNOWN_STATUS) this.unknownStatus("decides an 'if'", clause.cond[0]!.start);
          if (cond === 0) return this.list(clause.body);
        }
        return cmd.otherwise ? this.list(cmd.otherwise) : 0;
      case 'case': {
        const word = expandString(cmd.word, this.scope);
        let status = 0;
        let fallthrough = false;
        for (const item of cmd.items) {
          const hit =
            fallthrough ||
            item.patterns.some((p) =>
              matchWhole(
                compilePattern(expandPatternSegs(p, this.scope), p.start, this.scope.budget),
                word,
                p.start,
              ),
            );
          if (!hit) continue;
          status = this.list(item.body);
          if (item.term === ';&') fallthrough = true;
          else if (item.term === ';;&') fallthrough = false;
          else return status;
        }
        return status;
      }
      case 'for': {
        if (!cmd.words)
          fail('LOOP', "'for' without 'in' loops over $@, which makepkg sets", cmd.start);
        const items = cmd.words.flatMap((w) => expandFields(w, this.scope));
        let status = 0;
        for (const item of items) {
          if (++this.iterations > this.maxIterations) {
            fail(
              'LIMIT_EXCEEDED',
              `for loops run more than ${this.maxIterations} times (maxLoopIterations)`,
              cmd.start,
            );
          }
          this.setVar(cmd.name, { kind: 'string', value: item }, cmd.start);
          status = this.list(cmd.body);
        }
        return status;
      }
      case 'group':
        return this.list(cmd.body);
      case 'subshell':
        return fail('SUBSHELL', 'a subshell ( … ) at the top level', cmd.start);
      case 'cond':
        return evalCond(cmd.expr, this.scope) ? 0 : 1;
      case 'arithcmd':
        return evalArith(
          substituteArith(cmd.expr, this.scope, cmd.start),
          this.scope,
          cmd.start,
        ) !== 0n
          ? 0
          : 1;
    }
  }

  private simple(cmd: SimpleCommand): number {
    if (cmd.redirs.length > 0)
      fail('REDIRECTION', 'a redirection touches files', cmd.redirs[0]!.start);
    if (cmd.words.length === 0) {
      let status = 0;
      for (const a of cmd.assigns) {
        // bash: an assignment-only command returns the status of its last command substitution.
        const sub = firstCmdSub(a);
        if (sub !== undefined) {
          status = UNKNOWN_STATUS;
          this.unknownStatusAt = sub;
        }
        this.assign(a);
      }
      return status;
    }
    const first = cmd.words[0]!;
    const name = plainText(first);
    if (name === 'eval') fail('EVAL', "'eval' runs code built at run time", first.start);
    if (name === 'source' || name === '.') {
      fail('SOURCE', `'${name}' reads another file`, first.start);
    }
    if (cmd.assigns.length > 0) {
      fail(
        'UNSUPPORTED_ASSIGNMENT',
        'an assignment before a command only sets its environment',
        cmd.start,
      );
    }
    if (name !== undefined && DECLARATION_BUILTINS.has(name) && !this.state.functions.has(name)) {
      declaration(cmd, name, this.state, this.scope, (n, v, at, global) =>
        this.setVar(n, v, at, global),
      );
      return 0;
    }
    const fields = cmd.words.flatMap((w) => expandFields(w, this.scope));
    if (fields.length === 0) return 0;
    const command = fields[0]!;
    // A function the PKGBUILD defines shadows even builtins like `true`: calling one runs code.
    if (this.state.functions.has(command)) {
      fail('UNSUPPORTED_COMMAND', `calling the function '${command}' runs its body`, first.start);
    }
    switch (command) {
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'test':
        return evalTest(fields.slice(1), first.start) ? 0 : 1;
      case '[':
        if (fields[fields.length - 1] !== ']') {
          fail('UNDECIDABLE_CONDITION', "'[' without a closing ']'", first.start);
        }
        return evalTest(fields.slice(1, -1), first.start) ? 0 : 1;
      case 'eval':
        return fail('EVAL', "'eval' runs code built at run time", first.start);
      case 'source':
      case '.':
        return fail('SOURCE', `'${command}' reads another file`, first.start);
      default:
        return fail(
          'UNSUPPORTED_COMMAND',
          `command '${command}' would run at the top level`,
          first.start,
        );
    }
  }

  private assign(a: Assign): void {
    if (BASH_READONLY.has(a.name) || MAKEPKG_NAMES.has(a.name)) {
      fail('UNSUPPORTED_ASSIGNMENT', `'${a.name}' belongs to bash or makepkg`, a.start);
    }
    if (a.subscript !== undefined) {
      this.assignElement(a, a.subscript);
      return;
    }
    // Appending to a name the PKGBUILD never set would append to makepkg's value of it.
    const unknown = this.state.unknown.get(a.name);
    if (unknown?.maybeArray && !a.array && !this.state.locals.has(a.name)) {
      // `x=v` on what may be an array keeps its other elements: still unknown.
      this.state.unknown.set(a.name, { ...unknown, at: a.start });
      return;
    }
    let value: Value;
    try {
      const current = currentValue(this.state, this.scope, a.name, a.append, a.start);
      value = assignedValue(a, this.scope, current);
    } catch (error) {
      const origin = unknownOrigin(error, a);
      if (origin === undefined || this.state.locals.has(a.name)) throw error;
      writableGuard(this.state, a.name, a.start);
      this.state.vars.delete(a.name);
      this.state.unknown.set(a.name, {
        origin,
        direct: !(error as PendingError).origin,
        at: a.start,
        maybeArray:
          a.array !== undefined ||
          unknown?.maybeArray === true ||
          this.state.vars.get(a.name)?.kind === 'array',
      });
      this.state.assignedAt.set(a.name, a.start);
      return;
    }
    this.setVar(a.name, value, a.start);
  }

  /**
   * `name[i]=v` and `name[i]+=v` as bash runs them on an indexed array: the subscript is
   * arithmetic (`${#name[@]}` appends), a string becomes element 0 first. Only dense arrays are
   * modelled, so a subscript past the end (a sparse array) or before the start is refused.
   */
  private assignElement(a: Assign, subscript: string): void {
    if (a.array) {
      fail(
        'UNSUPPORTED_ASSIGNMENT',
        `${a.name}[${subscript}]=(…) assigns a list to an element`,
        a.start,
      );
    }
    if (this.state.assoc.has(a.name)) {
      fail('UNSUPPORTED_ASSIGNMENT', `'${a.name}' is an associative array (declare -A)`, a.start);
    }
    const unknown = this.state.unknown.get(a.name);
    if (unknown && !this.state.locals.has(a.name)) {
      // One element of an array we cannot know: the array stays unknown.
      writableGuard(this.state, a.name, a.start);
      this.state.unknown.set(a.name, { ...unknown, at: a.start, maybeArray: true });
      return;
    }
    const counted = subscript.replace(
      /\$\{#([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}/g,
      (_m, name: string) => {
        const v = this.scope.get(name, a.start);
        return String(v === undefined ? 0 : v.kind === 'string' ? 1 : v.values.length);
      },
    );
    let index = Number(
      evalArith(substituteArith(counted, this.scope, a.start), this.scope, a.start),
    );
    const current = currentValue(this.state, this.scope, a.name, false, a.start);
    const values =
      current === undefined
        ? []
        : current.kind === 'string'
          ? [current.value]
          : [...current.values];
    if (index < 0) index += values.length;
    if (index < 0 || index > values.length) {
      fail(
        'UNSUPPORTED_ASSIGNMENT',
        `${a.name}[${subscript}]= sets element ${index} of an array of ${values.length}: sparse arrays are not modelled`,
        a.start,
      );
    }
    const s = a.value ? expandString(a.value, this.scope, true) : '';
    values[index] = a.append ? (values[index] ?? '') + s : s;
    const value: Value = { kind: 'array', values };
    checkSize(value, this.scope.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH, a.start);
    this.setVar(a.name, value, a.start);
  }

  /** Refuses: a status we could not know (a command substitution's) decides something. */
  unknownStatus(what: string, at = this.unknownStatusAt): never {
    throw new PendingError(
      'COMMAND_SUBSTITUTION',
      `the exit status of a command substitution ${what}`,
      at,
      {
        code: 'COMMAND_SUBSTITUTION',
        reason: 'a command substitution runs a program',
        offset: this.unknownStatusAt,
      },
    );
  }

  /** Writes the local of that name if `declare`/`local` made one, else the global. */
  private setVar(name: string, v: Value, at: number, global = false): void {
    writableGuard(this.state, name, at);
    if (!global && this.state.locals.has(name)) this.state.locals.set(name, v);
    else {
      this.state.vars.set(name, v);
      this.state.unknown.delete(name);
    }
    this.state.assignedAt.set(name, at);
  }
}

/**
 * The value a variable holds after one assignment, with bash's rules for mixing strings and
 * arrays (`x=v` on an array sets element 0; `x+=(…)` on a string makes an array).
 */
export function assignedValue(a: Assign, scope: Scope, current: Value | undefined): Value {
  const value = computeAssignment(a, scope, current);
  checkSize(value, scope.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH, a.start);
  return value;
}

/** Refuses a value past maxValueLength: `x=$x$x` repeated would otherwise exhaust memory. */
function checkSize(v: Value, max: number, at: number): void {
  let size = 0;
  if (v.kind === 'string') size = v.value.length;
  else for (const item of v.values) size += item.length + 1;
  if (size > max) {
    fail(
      'LIMIT_EXCEEDED',
      `a value of ${size} characters is more than ${max} (maxValueLength)`,
      at,
    );
  }
}

function computeAssignment(a: Assign, scope: Scope, current: Value | undefined): Value {
  if (a.array) {
    const items: string[] = [];
    for (const w of a.array) {
      const first = w.parts[0];
      if (first?.t === 'lit' && !first.q && first.v.startsWith('[') && /\]\+?=/.test(first.v)) {
        fail('UNSUPPORTED_ASSIGNMENT', `indexed array element ${first.v}`, w.start);
      }
      for (const f of expandFields(w, scope)) items.push(f);
    }
    const old = current;
    if (!a.append || old === undefined) return { kind: 'array', values: items };
    if (old.kind === 'string') return { kind: 'array', values: [old.value, ...items] };
    return { kind: 'array', values: [...old.values, ...items] };
  }
  const s = a.value ? expandString(a.value, scope, true) : '';
  const old = current;
  if (old?.kind === 'array') {
    const values = [...old.values];
    values[0] = a.append ? (values[0] ?? '') + s : s;
    return { kind: 'array', values };
  }
  if (a.append && old?.kind === 'string') return { kind: 'string', value: old.value + s };
  return { kind: 'string', value: s };
}

/**
 * The origin to carry when an assignment's value is unknowable, or undefined when the failure
 * must stand (bash would fail, or `${y:=…}` in the word would have assigned where we stopped).
 */
export function unknownOrigin(error: unknown, a: Assign): UnknownOrigin | undefined {
  if (!(error instanceof PendingError)) return undefined;
  if (!error.origin && !UNKNOWABLE.has(error.code)) return undefined;
  if (assignAssigns(a)) return undefined;
  return error.origin ?? { code: error.code, reason: error.reason, offset: error.offset };
}

function assignAssigns(a: Assign): boolean {
  const words = a.array ?? (a.value ? [a.value] : []);
  return words.some((w) =>
    partsSome(w.parts, (p) => p.t === 'param' && (p.op === ':=' || p.op === '=')),
  );
}

/** Offset of the first command substitution in an assignment, if any. */
function firstCmdSub(a: Assign): number | undefined {
  if (a.array) {
    for (const w of a.array) {
      const at = cmdSubIn(w.parts);
      if (at !== -1) return at;
    }
    return undefined;
  }
  const at = a.value ? cmdSubIn(a.value.parts) : -1;
  return at === -1 ? undefined : at;
}

/** The first command substitution in `parts`, in partsSome's order; -1 when none. */
function cmdSubIn(parts: Part[]): number {
  for (const p of parts) {
    if (p.t === 'cmdsub') return p.start;
    let at = -1;
    if (p.t === 'dq') at = cmdSubIn(p.parts);
    else if (p.t === 'param') {
      if (p.arg) at = cmdSubIn(p.arg.parts);
      if (at === -1 && p.arg2) at = cmdSubIn(p.arg2.parts);
      if (at === -1 && p.index && typeof p.index !== 'string') at = cmdSubIn(p.index.parts);
    }
    if (at !== -1) return at;
  }
  return -1;
}

function partsSome(parts: Part[], pred: (p: Part) => boolean): boolean {
  for (const p of parts) {
    if (pred(p)) return true;
    if (p.t === 'dq' && partsSome(p.parts, pred)) return true;
    if (p.t === 'param') {
      if (p.arg && partsSome(p.arg.parts, pred)) return true;
      if (p.arg2 && partsSome(p.arg2.parts, pred)) return true;
      if (p.index && typeof p.index !== 'string' && partsSome(p.index.parts, pred)) return true;
    }
  }
  return false;
}
