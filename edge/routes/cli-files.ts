import { Hono } from 'hono';
import { apiError } from '../http/errors.ts';
import type { AgentFiles } from './agent-files.ts';

/** Headers of `GET /cli/rbee.mjs`: what the file is, to check before running it. */
export const CLI_VERSION_HEADER = 'X-Rbee-Cli-Version';
export const CLI_SHA256_HEADER = 'X-Rbee-Cli-Sha256';

/**
 * `GET /cli/version` and `GET /cli/rbee.mjs`: the admin CLI as one file for plain `node`
 * (public, like the agent bundle: it holds no secret; the token stays with the admin).
 */
export function cliFilesRoutes(files: AgentFiles | undefined) {
  const app = new Hono();
  const missing = (c: Parameters<typeof apiError>[0]) =>
    apiError(
      c,
      404,
      'NO_CLI_BUNDLE',
      'this edge has no CLI bundle to serve: run `npm run build:cli` where the edge runs',
    );

  app.get('/cli/version', async (c) => {
    const file = await files?.cli?.();
    if (!file) return missing(c);
    return c.json({ version: file.version, sha256: file.sha256, size: file.bytes.length });
  });

  app.get('/cli/rbee.mjs', async (c) => {
    const file = await files?.cli?.();
    if (!file) return missing(c);
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Content-Disposition': 'attachment; filename="rbee.mjs"',
      [CLI_VERSION_HEADER]: file.version,
      [CLI_SHA256_HEADER]: file.sha256,
      'Cache-Control': 'no-cache',
    });
  });

  return app;
}
