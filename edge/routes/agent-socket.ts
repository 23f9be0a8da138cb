import { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { bearer, hashToken, sameDigest } from '../auth/tokens.ts';
import { apiError } from '../http/errors.ts';
import type { AgentSession } from '../hub/agent-session.ts';
import type { Hub } from '../hub/hub.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

export type AgentAuth = { hive: HiveRecord } | { status: 401; code: 'UNAUTHORIZED'; error: string };

/**
 * Checks an agent's `Authorization` header before any upgrade. Shared by the Hono route and
 * by runtime adapters that take the upgrade themselves (Node, to keep sockets lean).
 */
export async function authenticateAgent(
  store: Store,
  authorization: string | undefined,
): Promise<AgentAuth> {
  const token = bearer(authorization);
  if (!token) {
    return {
      status: 401,
      code: 'UNAUTHORIZED',
      error: 'the agent socket needs an Authorization: Bearer rbh_... header',
    };
  }
  const hash = await hashToken(token);
  const found = await store.getHiveByTokenHash(hash);
  // The record's own hash decides: an engine's token index may lag a rotation.
  const hive = found && sameDigest(found.token_hash, hash) ? found : null;
  if (!hive) return { status: 401, code: 'UNAUTHORIZED', error: 'unknown or revoked hive token' };
  return { hive };
}

/**
 * `GET /agent`: the agents' WebSocket through Hono's upgrade helper (used on Deno). The hive
 * token is checked before the upgrade, so a bad token gets a plain 401 and no socket.
 */
export function agentSocketRoutes(store: Store, hub: Hub, upgradeWebSocket?: UpgradeWebSocket) {
  const app = new Hono();
  app.get('/agent', async (c, next) => {
    const auth = await authenticateAgent(store, c.req.header('Authorization'));
    if (!('hive' in auth)) return apiError(c, auth.status, auth.code, auth.error);
    if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket' || !upgradeWebSocket) {
      return apiError(c, 426, 'UPGRADE_REQUIRED', 'GET /agent is a WebSocket endpoint');
    }
    let session: AgentSession | null = null;
    const handler = upgradeWebSocket(() => ({
      onOpen(_event, ws) {
        session = hub.open(auth.hive, {
          send: (data) => ws.send(data),
          close: (code, reason) => ws.close(code, reason),
        });
      },
      onMessage(event) {
        // Binary frames are refused by the codec; pass something it recognises as binary.
        session?.receive(typeof event.data === 'string' ? event.data : new Uint8Array(0));
      },
      onClose() {
        session?.onSocketClosed();
      },
      onError() {
        session?.onSocketClosed();
      },
    }));
    return handler(c, next);
  });
  return app;
}
