import type { FlagSpec, FlagValues } from '../../shared/cli/parse-flags.ts';
import { ApiError } from '../../shared/client/api-error.ts';
import type { Client } from '../../shared/client/create-client.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';
import { connect, connectionFlags, connectionHelp } from './connection.ts';
import { exitForError } from './exit-codes.ts';

type Spec = FlagSpec & typeof connectionFlags;

export type AdminContext<S extends FlagSpec> = {
  client: Client;
  values: FlagValues<S & typeof connectionFlags>;
  args: string[];
  json: boolean;
};

/** Short flags the admin commands accept, as their long names. */
const SHORT: Record<string, string> = { '-f': '--follow' };

/**
 * An admin subcommand on the typed client: parses its flags plus the connection flags, and
 * turns a refusal into a message on stderr (`rbee jobs: no job with id "x" (UNKNOWN_JOB)`) and
 * the documented exit status.
 */
export function adminCommand<S extends FlagSpec>(def: {
  name: string;
  summary: string;
  usage: string;
  flags: S;
  run(ctx: AdminContext<S>): Promise<number>;
}): Command {
  return {
    name: def.name,
    summary: def.summary,
    usage: `${def.usage.trimEnd()}\n\n${connectionHelp}\n`,
    async run(argv) {
      const spec = { ...def.flags, ...connectionFlags } as Spec;
      const { values, positionals } = parseFlags(
        argv.map((a) => SHORT[a] ?? a),
        spec,
        true,
      );
      const client = connect(values as { edge?: string; 'token-file'?: string });
      try {
        return await def.run({
          client,
          values: values as AdminContext<S>['values'],
          args: positionals,
          json: values.json === true,
        });
      } catch (error) {
        if (error instanceof UsageError) throw error;
        if (!(error instanceof ApiError)) throw error;
        process.stderr.write(`rbee ${def.name}: ${error.message} (${error.code})\n`);
        return exitForError(error);
      }
    },
  };
}

/** The one positional a subcommand needs, or a usage error naming it. */
export function need(args: string[], index: number, what: string): string {
  const value = args[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

/** Refuses positionals past the ones a subcommand takes. */
export function noMore(args: string[], count: number) {
  if (args.length > count) throw new UsageError(`unexpected argument "${args[count]}"`);
}
