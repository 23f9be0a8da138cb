import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Edge } from '../app.ts';
import { authenticateAgent } from '../routes/agent-socket.ts';
import type { Store } from '../store/store.ts';

/**
 * The `ws` maxPayload for agent sockets: above the app's maxFrameBytes, so a frame just over the
 * limit reaches the session and is refused as on Deno (an `error {code: FRAME_TOO_LARGE}`
 * frame, close 1009, counted in /api/metrics), and still a hard cap, so a giant frame is cut by
 * `ws` (close 1009) before it is buffered whole. Twice the limit, at least 64 KiB more.
 */
export const wsPayloadCap = (maxFrameBytes: number) =>
  maxFrameBytes + Math.max(64 * 1024, maxFrameBytes);

/** The code `ws` gives a frame over its maxPayload (lib/receiver.js). */
const WS_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

/**
 * Takes `GET /agent` upgrades on Node straight from the HTTP server into `ws`, without a
 * Request/Context per socket: ten thousand idle agents then cost little more than ws itself.
 * It is the only upgrade path on Node (one token look-up per connection).
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
    const ip = req.socket.remoteAddress ?? 'unknown';
    authenticateAgent(store, req.headers.authorization, {
      failures: edge.hub.authFailures,
      ip,
    }).then(
      (auth) => {
        if (!('hive' in auth))
          return refuse(
            socket,
            auth.status,
            { code: auth.code, error: auth.error },
            auth.status === 429 ? auth.retryAfterS : undefined,
          );
        wss.handleUpgrade(req, socket, head, (ws) => {
          const session = edge.hub.open(auth.hive, {
            send: (data) => ws.send(data),
            close: (code, reason) => ws.close(code, reason),
          });
          ws.on('message', (data, isBinary) => {
            session.receive(isBinary ? new Uint8Array(0) : data.toString());
          });
          ws.on('close', () => session.onSocketClosed());
          ws.on('error', (error: Error & { code?: string }) => {
            // ws has closed with 1009 already: no error frame can follow, but it is counted.
            if (error.code === WS_TOO_LARGE) session.refusedByTransport('FRAME_TOO_LARGE');
            else session.onSocketClosed();
          });
        });
      },
      () => refuse(socket, 500, { code: 'INTERNAL', error: 'could not check the hive token' }),
    );
  });
}

function refuse(
  socket: Duplex,
  status: number,
  body: { code: string; error: string },
  retryAfterS?: number,
) {
  const json = JSON.stringify(body);
  const reason = status === 401 ? 'Unauthorized' : status === 429 ? 'Too Many Requests' : 'Error';
  const retry = retryAfterS ? `Retry-After: ${retryAfterS}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n${retry}Content-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}
