import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { headers: IncomingHttpHeaders; body: string; status: number };

/**
 * A real HTTP server on port 0 that records every POST it gets and answers with the status
 * `answer` returns for it (200 by default). `next()` resolves with the next request received.
 */
export async function webhookReceiver(answer: (r: Omit<Received, 'status'>) => number = () => 200) {
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(parts).toString('utf8') };
      const status = answer(r);
      const got = { ...r, status };
      received.push(got);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`answered ${status}`);
      waiters.shift()?.(got);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** The next request, or one already received at index `at`. */
    next(at = received.length): Promise<Received> {
      if (received[at]) return Promise.resolve(received[at]);
      return new Promise((resolve) => waiters.push(resolve));
    },
    /** Headers as the verifier reads them. */
    header: (r: Received) => ({
      get: (name: string) => {
        const v = r.headers[name.toLowerCase()];
        return typeof v === 'string' ? v : null;
      },
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
