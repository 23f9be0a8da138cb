import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP round-robin load balancer in front of several edge instances, as an operator would run
 * one: each new connection goes to the next backend; a backend that refuses the connection
 * (a dead instance) is skipped for the next one. No stickiness: HTTP requests and WebSocket
 * upgrades land wherever the turn is.
 */
export class RoundRobinBalancer {
  readonly #server: Server;
  readonly #open = new Set<Socket>();
  #turn = 0;
  /** Which backend each accepted connection went to, in order (indexes into `backends`). */
  readonly routed: number[] = [];

  constructor(private readonly backends: { host: string; port: number }[]) {
    this.#server = createServer((client) => this.#route(client));
  }

  static of(urls: string[]) {
    return new RoundRobinBalancer(
      urls.map((u) => {
        const url = new URL(u);
        return { host: url.hostname, port: Number(url.port) };
      }),
    );
  }

  #route(client: Socket) {
    client.pause();
    this.#open.add(client);
    client.once('close', () => this.#open.delete(client));
    client.on('error', () => client.destroy());
    const first = this.#turn++ % this.backends.length;
    const attempt = (tried: number) => {
      if (client.destroyed) return;
      if (tried === this.backends.length) return void client.destroy();
      const index = (first + tried) % this.backends.length;
      const target = this.backends[index]!;
      const upstream = connect(target.port, target.host);
      upstream.once('error', () => attempt(tried + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        this.routed.push(index);
        this.#open.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          this.#open.delete(upstream);
        };
        upstream.on('error', drop).on('close', drop);
        client.on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  listen(): Promise<string> {
    return new Promise((resolve) => {
      this.#server.listen(0, '127.0.0.1', () => {
        const { port } = this.#server.address() as { port: number };
        resolve(`http://127.0.0.1:${port}`);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.#open) s.destroy();
    this.#open.clear();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
