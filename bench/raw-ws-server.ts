/**
 * The baseline of bench:agents: a bare `ws` server that answers hello with welcome and can
 * broadcast one job to every connection. Same process shape as the edge, none of its work.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { type: string };
    if (msg.type === 'hello') ws.send(JSON.stringify({ v: 1, type: 'welcome' }));
    else if (msg.type === 'accept') accepted++;
  });
});
let accepted = 0;
server.on('request', (req, res) => {
  if (req.url === '/broadcast') {
    let n = 0;
    for (const ws of wss.clients)
      ws.send(JSON.stringify({ v: 1, type: 'job', job: { id: `job_raw${n++}` } }));
    res.end(String(n));
  } else if (req.url === '/accepted') res.end(String(accepted));
  else res.end('ok');
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`raw ws listening on http://127.0.0.1:${address.port}`);
});
