/**
 * The edge on Deno: `deno task edge [--port 8787] [--host 0.0.0.0] [--data DIR]`.
 * The same app as on Node; only serving and file reading differ.
 */
import { createApp } from '../app.ts';
import { loadCatalog } from '../catalog/catalog.ts';
import { seedEntries } from '../catalog/entries.ts';
import { EdgeConfigError, edgeUsage, parseEdgeArgs } from '../config.ts';
import { denoCatalogReader } from './catalog-reader.ts';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(edgeUsage.replace('rbee edge', 'deno task edge'));
    return 0;
  }
  let config: ReturnType<typeof parseEdgeArgs>;
  try {
    config = parseEdgeArgs(argv);
  } catch (error) {
    if (!(error instanceof EdgeConfigError)) throw error;
    console.error(`deno task edge: ${error.message}\nRun 'deno task edge --help' for usage.`);
    return 2;
  }
  await Deno.mkdir(config.dataDir, { recursive: true });
  const catalog = await loadCatalog(
    seedEntries,
    denoCatalogReader(new URL('../catalog/workers/', import.meta.url)),
  );
  const app = createApp({ catalog });
  const server = Deno.serve(
    {
      port: config.port,
      hostname: config.host,
      onListen: ({ port }) => {
        const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
        console.log(`rbee edge (deno) listening on http://${host}:${port}`);
      },
    },
    app.fetch,
  );
  const stop = () => server.shutdown();
  Deno.addSignalListener('SIGINT', stop);
  Deno.addSignalListener('SIGTERM', stop);
  await server.finished;
  return 0;
}

Deno.exit(await main(Deno.args));
