import type { Command } from '../command.ts';
import { VERSION } from './version.ts';

export const versionCommand: Command = {
  name: 'version',
  summary: "print rbee's version",
  usage: 'usage: rbee version   (also: rbee --version)',
  async run() {
    process.stdout.write(`rbee ${VERSION}\n`);
    return 0;
  },
};
