/**
 * `deno task deploy-check [KV_FILE]`: the Deploy entry's edge, twice in one process, as Deploy
 * runs two isolates: both on one KV file and one BroadcastChannel, each on its own port.
 * Prints `instance ID listening on URL` for each; the multi-instance tests drive them.
 */
import { createDeployEdge } from './deploy-edge.ts';

const kvPath = Deno.args[0] ?? (await Deno.makeTempDir({ prefix: 'rbee-deploy-' })) + '/edge.kv';
const adminToken = Deno.env.get('RBEE_ADMIN_TOKEN');
const heartbeatMs = Number(Deno.env.get('RBEE_HEARTBEAT_MS') ?? 15_000);
const servers: Deno.HttpServer[] = [];
const closers: (() => Promise<void>)[] = [];
for (const id of ['deploy-a', 'deploy-b']) {
  const instance = await createDeployEdge({
    kvPath,
    instanceId: id,
    ...(adminToken ? { adminToken } : {}),
    options: { heartbeatMs },
  });
  closers.push(instance.close);
  await new Promise<void>((listening) => {
    servers.push(
      Deno.serve(
        {
          port: 0,
          hostname: '127.0.0.1',
          onListen: ({ port }) => {
            console.log(`instance ${id} listening on http://127.0.0.1:${port}`);
            listening();
          },
        },
        instance.edge.app.fetch,
      ),
    );
  });
}
const stop = async () => {
  for (const close of closers) await close();
  for (const s of servers) await s.shutdown();
  Deno.exit(0);
};
Deno.addSignalListener('SIGTERM', stop);
Deno.addSignalListener('SIGINT', stop);
