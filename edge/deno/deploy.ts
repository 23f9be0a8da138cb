/**
 * The Deno Deploy entry: `deployctl deploy --project=NAME edge/deno/deploy.ts` (or link the
 * repository in the Deploy dashboard with this file as the entry point). Set RBEE_ADMIN_TOKEN
 * in the project's environment variables; every isolate is an instance of the same edge.
 */
import { createDeployEdge } from './deploy-edge.ts';

const instanceId = `${Deno.env.get('DENO_REGION') ?? 'local'}-${crypto.randomUUID().slice(0, 8)}`;
const { edge, generatedAdminToken } = await createDeployEdge({
  instanceId,
  ...(Deno.env.get('RBEE_ADMIN_TOKEN') ? { adminToken: Deno.env.get('RBEE_ADMIN_TOKEN') } : {}),
});
if (generatedAdminToken) {
  console.log(
    `admin token (shown once; set RBEE_ADMIN_TOKEN to replace it): ${generatedAdminToken}`,
  );
}
Deno.serve(edge.app.fetch);
