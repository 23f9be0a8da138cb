import { CatalogError } from '../../edge/catalog/catalog.ts';
import { type EdgeConfig, EdgeConfigError, edgeUsage, parseEdgeArgs } from '../../edge/config.ts';
import { startEdge } from '../../edge/node/start-edge.ts';
import { RedisStoreError } from '../../edge/store/open-redis-store.ts';
import { type Command, UsageError } from '../command.ts';

/**
 * Starts the edge; a catalog it cannot serve is reported as the reason it did not start
 * (no stack trace: the message names the entry, the file, line and column).
 */
export async function startEdgeOrExplain(config: EdgeConfig) {
  try {
    return await startEdge(config);
  } catch (error) {
    if (!(error instanceof CatalogError) && !(error instanceof RedisStoreError)) throw error;
    process.stderr.write(`rbee: refusing to start: ${error.message}\n`);
    return null;
  }
}

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
    const edge = await startEdgeOrExplain(config);
    if (!edge) return 1;
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
