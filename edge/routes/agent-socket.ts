import { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { bearer, hashToken } from '../auth/tokens.ts';
import { apiError } from '../http/errors.ts';
import type { AgentSession } from '../hub/agent-session.ts';
import type { Hub } from '../hub/hub.ts';
import type { Store } from '../store/store.ts';

/**
 * `GET /agent`: the agents' WebSocket. The hive token is checked before the upgrade, so a
 * missing, wrong or revoked token gets a plain 401 and no socket.
 */
export function agentSocketRoutes(store: Store, hub: Hub, upgradeWebSocket: UpgradeWebSocket) {
  const app = new Hono();
  app.get('/agent', async (c, next) => {
    const token = bearer(c.req.header('Authorization'));
    if (!token) {
      return apiError(
        c,
        401,
        'UNAUTHORIZED',
        'the agent socket needs an Authorization: Bearer rbh_... header',
      );
    }
    const hive = await store.getHiveByTokenHash(await hashToken(token));
    if (!hive) return apiError(c, 401, 'UNAUTHORIZED', 'unknown or revoked hive token');
    if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
      return apiError(c, 426, 'UPGRADE_REQUIRED', 'GET /agent is a WebSocket endpoint');
    }
    let session: AgentSession | null = null;
    const handler = upgradeWebSocket(() => ({
      onOpen(_event, ws) {
        session = hub.open(hive, {
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
