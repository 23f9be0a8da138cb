import { EdgeConfigError, edgeUsage, parseEdgeArgs } from '../../edge/config.ts';
import { startEdge } from '../../edge/node/start-edge.ts';
import { type Command, UsageError } from '../command.ts';

/** The edge's flags, with a bad one reported as a usage error of the calling command. */
export function parseEdgeFlags(argv: string[]) {
  try {
    return parseEdgeArgs(argv);
  } catch (error) {
    if (error instanceof EdgeConfigError) throw new UsageError(error.message);
    throw error;
  }
}

export const edgeCommand: Command = {
  name: 'edge',
  summary: 'run the edge: catalog, admin API, agent hub and dashboard',
  usage: edgeUsage,
  async run(argv) {
    const config = parseEdgeFlags(argv);
    const edge = await startEdge(config);
    if (edge.adminToken) {
      process.stdout.write(
        `admin token (shown once; set RBEE_ADMIN_TOKEN to replace it): ${edge.adminToken}\n`,
      );
    }
    process.stdout.write(`rbee edge listening on ${edge.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await edge.close();
    return 0;
  },
};
