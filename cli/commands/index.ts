import type { Command } from '../command.ts';
import { edgeCommand } from './edge.ts';

/** Every subcommand, in the order `rbee --help` lists them. */
export const commands: Command[] = [edgeCommand];
