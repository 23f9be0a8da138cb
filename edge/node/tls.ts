import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { EdgeConfig } from '../config.ts';

/**
 * With `--tls-cert` and `--tls-key`, node-server listens with `https.createServer`, so the
 * catalog, API and dashboard are https and the agent socket is wss on the same port. Without
 * them, undefined (plain http: for loopback, or behind a proxy that terminates TLS).
 */
export async function tlsServerOptions(config: EdgeConfig) {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  const [cert, key] = await Promise.all([readFile(config.tlsCert), readFile(config.tlsKey)]);
  return { createServer, serverOptions: { cert, key } };
}
