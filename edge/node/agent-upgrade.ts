import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Edge } from '../app.ts';
import { authenticateAgent } from '../routes/agent-socket.ts';
import type { Store } from '../store/store.ts';

/**
 * Takes `GET /agent` upgrades on Node straight from the HTTP server into `ws`, without a
 * Request/Context per socket: ten thousand idle agents then cost little more than ws itself.
 */
export function handleAgentUpgrades(
  server: Server,
  wss: WebSocketServer,
  edge: Edge,
  store: Store,
) {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/agent')
      return refuse(socket, 404, { code: 'NOT_FOUND', error: `No WebSocket at ${path}` });
    authenticateAgent(store, req.headers.authorization).then(
      (auth) => {
        if (!('hive' in auth))
          return refuse(socket, auth.status, { code: auth.code, error: auth.error });
        wss.handleUpgrade(req, socket, head, (ws) => {
          const session = edge.hub.open(auth.hive, {
            send: (data) => ws.send(data),
            close: (code, reason) => ws.close(code, reason),
          });
          ws.on('message', (data, isBinary) => {
            session.receive(isBinary ? new Uint8Array(0) : data.toString());
          });
          ws.on('close', () => session.onSocketClosed());
          ws.on('error', () => session.onSocketClosed());
        });
      },
      () => refuse(socket, 500, { code: 'INTERNAL', error: 'could not check the hive token' }),
    );
  });
}

function refuse(socket: Duplex, status: number, body: { code: string; error: string }) {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}
