import WebSocket from 'ws';

type Msg = { type: string; [key: string]: unknown };

/**
 * A protocol-level client for edge tests: speaks raw frames (also wrong ones) over a real
 * WebSocket, records what the edge sends, and how the socket closed.
 */
export class RawAgent {
  readonly received: Msg[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<{ type: string; resolve: (m: Msg) => void }> = [];
  #rejected: Promise<number>;
  autoPong = true;

  constructor(url: string, token: string | null, options: WebSocket.ClientOptions = {}) {
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    const opts: WebSocket.ClientOptions = { headers, perMessageDeflate: false, ...options };
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/agent`, undefined, opts);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    // A refused upgrade rejects `opened`; tests that expect it ask refusedWith() instead.
    this.opened.catch(() => {});
    this.#rejected = new Promise((resolve) => {
      this.ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as Msg;
      this.received.push(msg);
      if (msg.type === 'ping' && this.autoPong) this.send({ type: 'pong', ts: msg.ts });
      for (const w of [...this.#waiters]) {
        if (w.type === msg.type) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
    });
  }

  /** The HTTP status of a refused upgrade. */
  refusedWith(): Promise<number> {
    this.ws.on('error', () => {});
    return this.#rejected;
  }

  send(message: object) {
    this.ws.send(JSON.stringify({ v: 1, ...message }));
  }

  sendRaw(data: string | Buffer) {
    this.ws.send(data);
  }

  /** The next message of a type not yet taken (also one already received). */
  next<T extends Msg = Msg>(type: string): Promise<T> {
    const seen = this.received.filter((m) => m.type === type);
    const taken = this.#taken.get(type) ?? 0;
    this.#taken.set(type, taken + 1);
    if (seen.length > taken) return Promise.resolve(seen[taken] as T);
    return new Promise((resolve) =>
      this.#waiters.push({ type, resolve: resolve as (m: Msg) => void }),
    );
  }
  #taken = new Map<string, number>();

  /** Says hello (a Linux x86_64 agent, nothing installed unless `fields` says) and waits for welcome. */
  async hello(
    jobs: { id: string; next_seq: number }[] = [],
    fields: {
      agent_version?: string;
      hostname?: string;
      installed?: { id: string; version: string }[];
      upgradable?: boolean;
    } = {},
  ) {
    await this.opened;
    const { hostname = 'test', installed = [], agent_version = 'test', upgradable } = fields;
    this.send({
      type: 'hello',
      agent_version,
      protocol: 1,
      platform: { os: 'linux', arch: 'x86_64', accelerators: [], hostname },
      installed,
      jobs,
      ...(upgradable ? { upgradable: true } : {}),
    });
    return this.next<
      Msg & {
        hive: string;
        heartbeat_ms: number;
        jobs: { id: string; next_seq: number; cancel: boolean }[];
      }
    >('welcome');
  }

  close() {
    this.ws.close();
  }
}
