/**
 * The edge on Deno: `deno task edge [--port 8787] [--host 0.0.0.0] [--data DIR] [limits]`.
 * The same app as on Node; only serving, the socket upgrade, files and the KV differ.
 */
import { upgradeWebSocket } from 'hono/deno';
import { createEdge } from '../app.ts';
import { ensureAdminToken } from '../auth/admin-token.ts';
import { loadCatalog } from '../catalog/catalog.ts';
import { seedEntries } from '../catalog/entries.ts';
import { EdgeConfigError, edgeUsage, parseEdgeArgs } from '../config.ts';
import { denoAgentFiles } from './agent-files.ts';
import { denoCatalogReader } from './catalog-reader.ts';
import { openDenoStore } from './open-store.ts';

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
  const store = await openDenoStore(config.dataDir);
  const adminToken = await ensureAdminToken(store, Deno.env.get('RBEE_ADMIN_TOKEN'));
  const extra = config.catalogDir
    ? denoCatalogReader(
        new URL(`${config.catalogDir.replace(/\/$/, '')}/`, `file://${Deno.cwd()}/`),
      )
    : undefined;
  const statements = config.statementsDir
    ? denoCatalogReader(
        new URL(`${config.statementsDir.replace(/\/$/, '')}/`, `file://${Deno.cwd()}/`),
      )
    : undefined;
  const catalog = await loadCatalog(
    seedEntries,
    denoCatalogReader(new URL('../catalog/workers/', import.meta.url)),
    extra,
    statements,
  );
  // --tls-cert/--tls-key: Deno.serve terminates TLS itself (on Deploy, the platform does).
  const tls =
    config.tlsCert && config.tlsKey
      ? {
          cert: await Deno.readTextFile(config.tlsCert),
          key: await Deno.readTextFile(config.tlsKey),
        }
      : undefined;
  const edge = createEdge({
    catalog,
    store,
    upgradeWebSocket,
    options: config.options,
    agentFiles: denoAgentFiles(),
  });
  if (adminToken) {
    console.log(`admin token (shown once; set RBEE_ADMIN_TOKEN to replace it): ${adminToken}`);
  }
  const server = Deno.serve(
    {
      port: config.port,
      hostname: config.host,
      ...tls,
      onListen: ({ port }) => {
        const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
        console.log(`rbee edge (deno) listening on ${tls ? 'https' : 'http'}://${host}:${port}`);
      },
    },
    edge.app.fetch,
  );
  const stop = async () => {
    await edge.close();
    await server.shutdown();
  };
  Deno.addSignalListener('SIGINT', stop);
  Deno.addSignalListener('SIGTERM', stop);
  await server.finished;
  await store.close();
  return 0;
}

Deno.exit(await main(Deno.args));
