import type { Command } from '../command.ts';
import { agentCommand } from './agent.ts';
import { buildCommand } from './build.ts';
import { edgeCommand } from './edge.ts';
import { srcinfoCommand } from './srcinfo.ts';
import { startCommand } from './start.ts';

/** Every subcommand, in the order `rbee --help` lists them. */
export const commands: Command[] = [
  startCommand,
  edgeCommand,
  agentCommand,
  srcinfoCommand,
  buildCommand,
];
