import {
  FlagError,
  type FlagSpec,
  parseFlags as parseSharedFlags,
} from '../shared/cli/parse-flags.ts';

/** One git-style subcommand of `rbee`. `run` returns the process exit code. */
export type Command = {
  name: string;
  summary: string;
  /** Full help text, printed for `rbee <name> --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
};

/** A mistake in how a command was called; printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Parses a subcommand's flags strictly (the shared parser the edge's Deno entry uses too);
 * unknown flags and missing values become a UsageError that says what to do instead.
 */
export function parseFlags<S extends FlagSpec>(argv: string[], spec: S, allowPositionals = false) {
  try {
    return parseSharedFlags(argv, spec, allowPositionals);
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError(error.message);
    throw error;
  }
}
