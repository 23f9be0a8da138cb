import { type ParseArgsConfig, parseArgs } from 'node:util';

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
 * Parses a subcommand's flags strictly; unknown flags and missing values become a UsageError
 * that says what to do instead of a stack trace.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Reads a `--port` style flag as a TCP port (0 picks a free one). */
export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}
