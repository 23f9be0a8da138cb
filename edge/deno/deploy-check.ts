/**
 * `deno task deploy-check [KV_FILE]`: the Deploy entry's edge as two isolates, each a Worker of
 * its own (one isolate per instance, as Deploy runs them), both on one KV file and one
 * BroadcastChannel, each on its own port. Prints `instance ID listening on URL` for each; the
 * multi-instance tests drive them. Lines on stdin: `kill ID` ends that isolate at once (as
 * Deploy does; prints `instance ID killed`), `start ID` starts a new one.
 */
import type { IsolateConfig } from './deploy-isolate.ts';

const kvPath = Deno.args[0] ?? `${await Deno.makeTempDir({ prefix: 'rbee-deploy-' })}/edge.kv`;
const adminToken = Deno.env.get('RBEE_ADMIN_TOKEN');
const heartbeatMs = Number(Deno.env.get('RBEE_HEARTBEAT_MS') ?? 15_000);
const isolates = new Map<string, Worker>();

function start(instanceId: string): Promise<void> {
  const worker = new Worker(new URL('./deploy-isolate.ts', import.meta.url), { type: 'module' });
  isolates.set(instanceId, worker);
  const config: IsolateConfig = {
    kvPath,
    instanceId,
    heartbeatMs,
    ...(adminToken ? { adminToken } : {}),
  };
  return new Promise((listening) => {
    worker.onmessage = ({ data }: MessageEvent<{ id: string; url: string }>) => {
      console.log(`instance ${data.id} listening on ${data.url}`);
      listening();
    };
    worker.postMessage(config);
  });
}

// One after the other: the first creates the KV file's tables, the admin token and the catalog.
for (const id of ['deploy-a', 'deploy-b']) await start(id);

Deno.addSignalListener('SIGTERM', () => Deno.exit(0));
Deno.addSignalListener('SIGINT', () => Deno.exit(0));
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let pending = '';
for await (const text of lines) {
  pending += text;
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    const line = pending.slice(0, nl).trim();
    pending = pending.slice(nl + 1);
    const [command, id] = line.split(/\s+/);
    if (command === 'kill' && id && isolates.has(id)) {
      isolates.get(id)!.terminate();
      isolates.delete(id);
      console.log(`instance ${id} killed`);
    } else if (command === 'start' && id && !isolates.has(id)) {
      await start(id);
    } else {
      console.error(`deploy-check: unknown command ${JSON.stringify(line)}`);
    }
  }
}
// stdin closed (the test that drove it is gone): nothing is left to serve.
Deno.exit(0);
