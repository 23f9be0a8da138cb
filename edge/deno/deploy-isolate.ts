/**
 * One Deploy isolate for `deno task deploy-check`: a Worker (its own isolate, as Deploy gives
 * each instance) that builds the Deploy entry's edge, serves it on a free port and posts
 * `{ id, url }` to the check. The check ends it with `worker.terminate()`, as Deploy ends an
 * isolate: no close, no goodbye on the bus, its presence lease left to run out.
 */
import { createDeployEdge } from './deploy-edge.ts';

export type IsolateConfig = {
  kvPath: string;
  instanceId: string;
  adminToken?: string;
  heartbeatMs: number;
};

const worker = self as unknown as {
  onmessage: ((event: MessageEvent<IsolateConfig>) => void) | null;
  postMessage(message: { id: string; url: string }): void;
};

worker.onmessage = async ({ data: config }) => {
  worker.onmessage = null;
  const { edge } = await createDeployEdge({
    kvPath: config.kvPath,
    instanceId: config.instanceId,
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    options: { heartbeatMs: config.heartbeatMs },
  });
  Deno.serve(
    {
      port: 0,
      hostname: '127.0.0.1',
      onListen: ({ port }) =>
        worker.postMessage({ id: config.instanceId, url: `http://127.0.0.1:${port}` }),
    },
    edge.app.fetch,
  );
};
