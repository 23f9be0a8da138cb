#!/usr/bin/env node
/**
 * `rbee`: the one CLI of rbee fleet, with git-style subcommands.
 * Run inside the repo as `npm run -s rbee -- <subcommand> [--help]`.
 */
import { type Command, UsageError } from './command.ts';
import { commands } from './commands/index.ts';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: rbee <command> [options]',
    '',
    'rbee fleet: installs inference workers across a fleet of hives.',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'rbee <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const name = first === '--version' || first === '-V' ? 'version' : first;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const out = mainHelp();
    if (name === undefined) {
      process.stderr.write(`${out}\n`);
      return 2;
    }
    process.stdout.write(`${out}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`rbee: '${name}' is not a command. Run 'rbee --help' for the list.\n`);
    return 2;
  }
  const command: Command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `rbee ${name}: ${error.message}\nRun 'rbee ${name} --help' for usage.\n`,
      );
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `rbee: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
