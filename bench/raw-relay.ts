/**
 * The baseline of bench:logs: a bare `ws` relay. A producer connection sends frames, the relay
 * forwards each frame as it is to every consumer. No parsing, no validation, no storage.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws, req) => {
  if (req.url === '/produce') {
    ws.on('message', (data) => {
      for (const client of wss.clients) if (client !== ws) client.send(data, { binary: false });
    });
  }
});
server.listen(0, '127.0.0.1', () => {
  console.log(
    `raw relay listening on http://127.0.0.1:${(server.address() as { port: number }).port}`,
  );
});
