import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the edge whose connections the test can cut at will, as a flaky
 * network would: both halves are destroyed, with no close handshake.
 */
export class TcpProxy {
  #server: Server;
  #pairs = new Set<[Socket, Socket]>();
  cuts = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.#server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  listen(): Promise<string> {
    return new Promise((resolve) => {
      this.#server.listen(0, '127.0.0.1', () => {
        this.port = (this.#server.address() as { port: number }).port;
        resolve(`http://127.0.0.1:${this.port}`);
      });
    });
  }

  /** Destroys every open connection; returns how many there were. */
  cut(): number {
    const n = this.#pairs.size;
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
    if (n > 0) this.cuts++;
    return n;
  }

  get open() {
    return this.#pairs.size;
  }

  close() {
    this.cut();
    return new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A free TCP port on loopback (for an edge that must come back on the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
