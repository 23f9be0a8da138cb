import type { Assign, SimpleCommand } from './ast.ts';
import {
  assignedValue,
  BASH_READONLY,
  type EvalState,
  MAKEPKG_NAMES,
  unknownOrigin,
} from './evaluate.ts';
import { expandFields, type Scope, type Value } from './expand.ts';
import { fail, type PendingError } from './parse-error.ts';

/** Builtins that declare variables; their `name=value` arguments are assignments. */
export const DECLARATION_BUILTINS = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);

/** The flags each builtin may take here; any other flag (-i, -l, -u, -n, -f, -p, +x …) is refused. */
const FLAGS: Record<string, string> = {
  declare: 'aAgrx',
  typeset: 'aAgrx',
  local: 'aArx',
  export: '',
  readonly: 'aA',
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type SetVar = (name: string, v: Value, at: number, global: boolean) => void;

/** Refuses an assignment to a name a previous `readonly` or `declare -r` froze. */
export function writableGuard(state: EvalState, name: string, at: number): void {
  if (state.readonly.has(name)) {
    fail('UNSUPPORTED_ASSIGNMENT', `'${name}' is readonly: bash aborts sourcing here`, at);
  }
  if (state.assoc.has(name)) {
    fail('UNSUPPORTED_ASSIGNMENT', `'${name}' is an associative array (declare -A)`, at);
  }
}

/** The value an assignment to `name` starts from: the local, the global, or (for +=) makepkg's. */
export function currentValue(
  state: EvalState,
  scope: Scope,
  name: string,
  append: boolean,
  at: number,
): Value | undefined {
  if (state.locals.has(name)) return state.locals.get(name);
  return state.vars.get(name) ?? (append ? scope.get(name, at) : undefined);
}

/**
 * `declare`, `typeset`, `local`, `export` and `readonly` at the top level, as bash runs them
 * inside makepkg's source_safe function: `declare`/`typeset`/`local` without `-g` make locals
 * that vanish after sourcing; `export` and `readonly` assign to whatever is in scope.
 * @example declaration(cmd /* export CFLAGS=-O2 *\/, 'export', state, scope, setVar)
 */
export function declaration(
  cmd: SimpleCommand,
  builtin: string,
  state: EvalState,
  scope: Scope,
  setVar: SetVar,
): void {
  const allowed = FLAGS[builtin]!;
  const flags = new Set<string>();
  let options = true;
  for (const word of cmd.words.slice(1)) {
    if (word.assign) {
      options = false;
      declareOne(
        word.assign.name,
        word.start,
        flags,
        builtin,
        state,
        word.assign,
        () => {
          const a = word.assign!;
          if (a.subscript !== undefined) {
            fail(
              'UNSUPPORTED_ASSIGNMENT',
              `indexed assignment ${a.name}[${a.subscript}]=`,
              a.start,
            );
          }
          return assignedValue(a, scope, currentValue(state, scope, a.name, a.append, a.start));
        },
        setVar,
      );
      continue;
    }
    for (const field of expandFields(word, scope)) {
      if (options && field === '--') {
        options = false;
        continue;
      }
      if (options && /^[-+]./.test(field)) {
        if (field[0] === '+') {
          fail('UNSUPPORTED_COMMAND', `'${builtin} ${field}' removes attributes`, word.start);
        }
        for (const f of field.slice(1)) {
          if (!allowed.includes(f)) {
            fail(
              'UNSUPPORTED_COMMAND',
              `'${builtin} -${f}' is not evaluated statically`,
              word.start,
            );
          }
          flags.add(f);
        }
        continue;
      }
      options = false;
      if (!NAME.test(field)) {
        fail(
          'UNSUPPORTED_ASSIGNMENT',
          `'${builtin} ${field}': an argument that is not a plain name or a written assignment`,
          word.start,
        );
      }
      declareOne(field, word.start, flags, builtin, state, undefined, undefined, setVar);
    }
  }
}

function declareOne(
  name: string,
  at: number,
  flags: Set<string>,
  builtin: string,
  state: EvalState,
  assign: Assign | undefined,
  value: (() => Value) | undefined,
  setVar: SetVar,
): void {
  if (BASH_READONLY.has(name) || MAKEPKG_NAMES.has(name)) {
    fail('UNSUPPORTED_ASSIGNMENT', `'${name}' belongs to bash or makepkg`, at);
  }
  if (flags.has('A')) {
    if (value) {
      fail('UNSUPPORTED_ASSIGNMENT', `associative array '${name}' with values (declare -A)`, at);
    }
    state.assoc.add(name);
    return;
  }
  const local =
    (builtin === 'declare' || builtin === 'typeset' || builtin === 'local') && !flags.has('g');
  const readonly = builtin === 'readonly' || flags.has('r');
  // makepkg's own functions declare locals of many lowercase names; a readonly global of one
  // would break them, so only PKGBUILD-private `_names` may be frozen.
  if (readonly && !local && !name.startsWith('_')) {
    fail(
      'UNSUPPORTED_ASSIGNMENT',
      `readonly '${name}': makepkg's functions reuse such names as locals; only _names may be readonly`,
      at,
    );
  }
  if (state.readonly.has(name)) {
    if (value || local) {
      fail('UNSUPPORTED_ASSIGNMENT', `'${name}' is readonly: bash aborts sourcing here`, at);
    }
    return;
  }
  if (local && !state.locals.has(name)) {
    // A new local starts unset (bash's localvar_inherit is off), shadowing any global.
    state.locals.set(name, flags.has('a') ? { kind: 'array', values: [] } : undefined);
  }
  const global = flags.has('g');
  const prior = state.unknown.get(name);
  if (prior?.maybeArray && assign && !assign.array && (global || !state.locals.has(name))) {
    // `export x=v` on what may be an array keeps its other elements: still unknown.
    state.unknown.set(name, { ...prior, at });
    if (readonly) state.readonly.add(name);
    return;
  }
  let v: Value | undefined;
  try {
    v = value?.();
  } catch (error) {
    // `export X=$(…)` on a global: carried as unknown, like a plain assignment.
    const origin = assign ? unknownOrigin(error, assign) : undefined;
    if (origin === undefined || local || state.locals.has(name) || flags.has('a')) throw error;
    state.vars.delete(name);
    state.unknown.set(name, {
      origin,
      at,
      direct: !(error as PendingError).origin,
      maybeArray: assign!.array !== undefined || prior?.maybeArray === true,
    });
    if (readonly) state.readonly.add(name);
    return;
  }
  if (flags.has('a')) {
    const cur =
      v ?? (global ? state.vars.get(name) : (state.locals.get(name) ?? state.vars.get(name)));
    if (cur === undefined) v = { kind: 'array', values: [] };
    else if (cur.kind === 'string') v = { kind: 'array', values: [cur.value] };
    else v = cur;
  }
  if (v !== undefined) setVar(name, v, at, global);
  if (readonly) state.readonly.add(name);
}
