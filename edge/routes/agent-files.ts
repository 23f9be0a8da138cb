import { Hono } from 'hono';
import { apiError } from '../http/errors.ts';
import type { Store } from '../store/store.ts';
import { readAgentSignature } from './agent-signature.ts';
import { authenticateAgent } from './agent-socket.ts';

/** The agent's one file, as the edge serves it. */
export type AgentBundle = { version: string; sha256: string; bytes: Uint8Array };

/**
 * What the runtime adapter reads from disk for these routes (the core has no file system).
 * Each is read per request (adapters cache), so a rebuilt bundle is served without a restart.
 */
export type AgentFiles = {
  bundle(): Promise<AgentBundle | null>;
  /** scripts/install.sh. */
  installScript(): Promise<string | null>;
  /** The admin CLI's one file, dist/rbee.mjs (`GET /cli/rbee.mjs`). */
  cli?(): Promise<AgentBundle | null>;
};

/** The version the build wrote in the bundle's second line: `// rbee-agent 0.1.0`. */
export function bundleVersion(bytes: Uint8Array): string | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 512));
  return /^\/\/ rbee-agent (\S{1,64})$/m.exec(head)?.[1] ?? null;
}

/** Headers of `GET /agent/rbee-agent.mjs`: what the file is, to check before running it. */
export const VERSION_HEADER = 'X-Rbee-Agent-Version';
export const SHA256_HEADER = 'X-Rbee-Agent-Sha256';

/** Single-quoted for sh: the origin is the request's, so nothing in it may break out. */
const shQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * `GET /agent/version`, `GET /agent/rbee-agent.mjs`, `GET /agent/signature` (the fleet key's
 * signature over the file served, `rbee agents sign`), `GET /install.sh` (public: none holds a
 * secret) and `GET /agent/me` (a hive token's self-check).
 */
export function agentFilesRoutes(store: Store, files: AgentFiles | undefined) {
  const app = new Hono();
  const missing = (c: Parameters<typeof apiError>[0]) =>
    apiError(
      c,
      404,
      'NO_AGENT_BUNDLE',
      'this edge has no agent bundle to serve: run `npm run build:agent` where the edge runs',
    );

  app.get('/agent/version', async (c) => {
    const bundle = await files?.bundle();
    if (!bundle) return missing(c);
    const signed = await readAgentSignature(store, bundle.sha256);
    return c.json({
      version: bundle.version,
      sha256: bundle.sha256,
      size: bundle.bytes.length,
      signed_by: signed?.key_id ?? null,
    });
  });

  app.get('/agent/signature', async (c) => {
    const bundle = await files?.bundle();
    if (!bundle) return missing(c);
    const signed = await readAgentSignature(store, bundle.sha256);
    if (!signed)
      return apiError(
        c,
        404,
        'UNSIGNED_AGENT',
        `agent ${bundle.version} (sha256 ${bundle.sha256}) is not signed: admins sign it with rbee agents sign --key FLEET.key`,
      );
    return c.json(signed);
  });

  app.get('/agent/rbee-agent.mjs', async (c) => {
    const bundle = await files?.bundle();
    if (!bundle) return missing(c);
    return c.body(bundle.bytes as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      [VERSION_HEADER]: bundle.version,
      [SHA256_HEADER]: bundle.sha256,
      'Cache-Control': 'no-cache',
    });
  });

  app.get('/install.sh', async (c) => {
    const script = await files?.installScript();
    if (!script) return missing(c);
    const origin = new URL(c.req.url).origin;
    return c.body(
      script.replace(/^RBEE_EDGE_DEFAULT=.*$/m, `RBEE_EDGE_DEFAULT=${shQuote(origin)}`),
      200,
      {
        'Content-Type': 'text/x-shellscript; charset=utf-8',
        'Cache-Control': 'no-cache',
      },
    );
  });

  app.get('/agent/me', async (c) => {
    const auth = await authenticateAgent(store, c.req.header('Authorization'));
    if (!('hive' in auth)) return apiError(c, auth.status, auth.code, auth.error);
    return c.json({ hive: auth.hive.id, name: auth.hive.name });
  });

  return app;
}
