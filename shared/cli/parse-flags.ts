/**
 * The one command-line flag parser, for the `rbee` commands on Node and the edge's Deno entry
 * alike (web standards only, so `edge/config.ts` can use it). Strict: an unknown flag, a
 * missing value or a positional where none is allowed is a FlagError that names the flag.
 */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

type FlagValue<F> = F extends { type: 'boolean' }
  ? boolean
  : F extends { multiple: true }
    ? string[]
    : string;

export type FlagValues<S extends FlagSpec> = { -readonly [K in keyof S]?: FlagValue<S[K]> };

/** A flag given wrongly; the message says which and how. */
export class FlagError extends Error {
  override name = 'FlagError';
}

/**
 * Reads `--name value`, `--name=value` and boolean `--name`; `--` ends the flags.
 * @example parseFlags(['--port', '0', 'x'], { port: { type: 'string' } }, true)
 *   // { values: { port: '0' }, positionals: ['x'] }
 */
export function parseFlags<S extends FlagSpec>(
  argv: readonly string[],
  spec: S,
  allowPositionals = false,
): { values: FlagValues<S>; positionals: string[] } {
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new FlagError(`unknown option "${arg}"`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const flag = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!flag) throw new FlagError(`unknown option "${eq === -1 ? arg : arg.slice(0, eq)}"`);
    if (flag.type === 'boolean') {
      if (eq !== -1) throw new FlagError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new FlagError(`--${name} needs a value`);
      }
      i++;
    }
    if (flag.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else values[name] = value;
  }
  if (!allowPositionals && positionals.length > 0) {
    throw new FlagError(`unexpected argument "${positionals[0]}"`);
  }
  return { values: values as FlagValues<S>, positionals };
}
