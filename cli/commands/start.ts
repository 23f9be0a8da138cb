import { edgeDefaults } from '../../edge/config.ts';
import { startEdge } from '../../edge/node/start-edge.ts';
import type { Command } from '../command.ts';
import { parseEdgeFlags } from './edge.ts';

/** `npm start`: the main job on one machine. */
export const startCommand: Command = {
  name: 'start',
  summary: 'the main job: the edge with its embedded store and dashboard, plus a local agent',
  usage: `usage: rbee start [--port ${edgeDefaults.port}] [--host ADDR] [--data DIR]

Starts the edge (catalog, admin API, dashboard) with its embedded store on one machine.
Takes the same options as 'rbee edge'.`,
  async run(argv) {
    const config = parseEdgeFlags(argv);
    const edge = await startEdge(config);
    process.stdout.write(`rbee edge listening on ${edge.url}\n  catalog: ${edge.url}/workers\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await edge.close();
    return 0;
  },
};
