import WebSocket from 'ws';
import {
  type AgentMessage,
  DEFAULT_MAX_FRAME_BYTES,
  decodeEdgeMessage,
  type EdgeMessage,
  encodeMessage,
  type MessageBody,
  ProtocolError,
  protocolErrors,
} from '../../shared/protocol/index.ts';
import { type BackoffOptions, createBackoff } from './backoff.ts';
import { DEFAULT_MAX_REFUSAL_BYTES, describeRefusal, readRefusal } from './edge-refusal.ts';
import { startHeartbeat } from './heartbeat.ts';

/** A message the agent sends, without the version (the codec adds it). */
export type AgentBody = MessageBody<AgentMessage>;
export type HelloBody = Extract<AgentBody, { type: 'hello' }>;
export type WelcomeMessage = Extract<EdgeMessage, { type: 'welcome' }>;
/** The messages the connection hands on: everything but the ones it answers itself. */
export type EdgeWork = Exclude<EdgeMessage, { type: 'welcome' | 'ping' | 'pong' | 'error' }>;

/** A message its producer serialised already (the log streamer's frames): sent as is. */
export type Encoded = { readonly encoded: string };
/** Sends one message if the session is up; false when it is not (the caller keeps its data). */
export type Send = (message: AgentBody | Encoded) => boolean;

/** What the connection tells the rest of the agent; it knows nothing about jobs or builds. */
export type SessionHandler = {
  /** Builds `hello` for each new socket: jobs in flight change between connections. */
  hello(): Promise<HelloBody>;
  /** The edge said welcome: the session is up and `send` works until `onDisconnect`. */
  onWelcome(welcome: WelcomeMessage, send: Send): void;
  onMessage(message: EdgeWork): void;
  /** The session is over; `send` now returns false. Only called after `onWelcome`. */
  onDisconnect(): void;
};

export type ConnectionOptions = {
  /** The `ws(s)://…/agent` URL. */
  url: string;
  /** The hive token, sent as `Authorization: Bearer`. */
  token: string;
  handler: SessionHandler;
  /** Largest frame accepted from the edge (default 1 MiB). */
  maxFrameBytes?: number;
  backoff?: BackoffOptions;
  /** Time allowed for the TCP/TLS/HTTP upgrade and then for `welcome`, each (default 20 s). */
  handshakeTimeoutMs?: number;
  /** Most bytes read of the body of a refused upgrade, for the edge's reason (default 16 KiB). */
  maxRefusalBytes?: number;
  /** Status lines for people: connected, disconnected and why, next try. */
  log?: (line: string) => void;
  /** Extra CA certificates (PEM) for a wss:// edge with a private CA (`--ca`). */
  ca?: string[];
  /**
   * Given, the loop stops when the edge refuses the token for good (close code REVOKED, or 401
   * on the upgrade) and calls this with why; without it the agent keeps dialling.
   */
  onRefused?: (why: string) => void;
};

export type Connection = {
  /** True between `welcome` and the socket's close. */
  readonly connected: boolean;
  /** Closes the socket and ends the loop; resolves once no socket is left. */
  stop(): Promise<void>;
};

const closeReasons: Record<number, string> = {
  [protocolErrors.REPLACED]: 'another agent connected with this hive token (REPLACED)',
  [protocolErrors.REVOKED]: "the hive's token was revoked (REVOKED)",
  [protocolErrors.HEARTBEAT_TIMEOUT]: 'the edge heard no heartbeat (HEARTBEAT_TIMEOUT)',
  [protocolErrors.GOING_AWAY]: 'the edge is shutting down',
};

/**
 * Holds one WebSocket to the edge open for as long as it runs: connects, says hello, waits for
 * welcome, answers pings and pings back, and when anything goes wrong terminates the socket
 * and dials again after a full-jitter backoff. It never gives up: an agent that stops retrying
 * is a hive that needs a person to walk over to it.
 * @example
 * const connection = startConnection({ url: 'wss://edge/agent', token, handler });
 * await connection.stop();
 */
export function startConnection(options: ConnectionOptions): Connection {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 20_000;
  const backoff = createBackoff(options.backoff);
  let stopped = false;
  let connected = false;
  let socket: WebSocket | undefined;
  let wake: (() => void) | undefined;
  // Set by a session that ended with the token refused for good.
  let refused = false;

  /** One socket, from dial to close; resolves with why it ended. */
  const session = () =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(options.url, {
        headers: { Authorization: `Bearer ${options.token}` },
        perMessageDeflate: false,
        maxPayload: maxFrameBytes,
        handshakeTimeout: handshakeTimeoutMs,
        ...(options.ca ? { ca: options.ca } : {}),
      });
      socket = ws;
      // The first explanation wins: terminating a socket makes ws report a generic error after.
      let reason: string | undefined;
      const because = (why: string) => {
        reason ??= why;
      };
      let welcomed = false;
      let heartbeat: { touch(): void; stop(): void } | undefined;
      const raw = (message: AgentBody | Encoded) => {
        if (ws.readyState !== WebSocket.OPEN) return false;
        ws.send('encoded' in message ? message.encoded : encodeMessage(message));
        return true;
      };
      const send: Send = (message) => welcomed && raw(message);
      const fail = (why: string, code: number) => {
        because(why);
        ws.close(code, why.slice(0, 120));
        // A peer that does not finish the closing handshake must not keep us waiting.
        setTimeout(() => ws.terminate(), 2_000).unref();
      };
      // A bug in a handler must not take the agent down: drop this socket and dial again.
      const guard = (call: () => void) => {
        try {
          call();
        } catch (error) {
          log(`rbee agent: internal error: ${(error as Error).stack ?? String(error)}`);
          because(`internal error: ${(error as Error).message}`);
          ws.terminate();
        }
      };
      const welcomeTimer = setTimeout(() => {
        because(`no welcome within ${2 * handshakeTimeoutMs} ms`);
        ws.terminate();
      }, handshakeTimeoutMs + handshakeTimeoutMs);

      ws.on('open', () => {
        options.handler.hello().then(
          (hello) => raw(hello),
          (error: Error) => fail(`cannot build hello: ${error.message}`, 1011),
        );
      });
      ws.on('message', (data, isBinary) => {
        heartbeat?.touch();
        let message: EdgeMessage;
        try {
          message = decodeEdgeMessage(isBinary ? new Uint8Array() : data.toString(), maxFrameBytes);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          fail(`edge sent a bad message (${error.code}): ${error.message}`, error.closeCode);
          return;
        }
        switch (message.type) {
          case 'ping':
            raw({ type: 'pong', ts: message.ts });
            return;
          case 'pong':
            return;
          case 'error':
            because(`edge error ${message.code}: ${message.message}`);
            log(`rbee agent: edge error ${message.code}: ${message.message}`);
            return;
          case 'welcome': {
            if (welcomed) {
              fail('edge sent welcome twice', protocolErrors.HELLO_REQUIRED);
              return;
            }
            welcomed = true;
            connected = true;
            clearTimeout(welcomeTimer);
            backoff.reset();
            log(`rbee agent connected to ${options.url} as hive ${message.hive}`);
            heartbeat = startHeartbeat({
              intervalMs: message.heartbeat_ms,
              ping: () => raw({ type: 'ping', ts: Date.now() }),
              onTimeout: () => {
                because(`no message from the edge for ${2 * message.heartbeat_ms} ms`);
                ws.terminate();
              },
            });
            guard(() => options.handler.onWelcome(message, send));
            return;
          }
          default:
            if (!welcomed) {
              fail(`edge sent ${message.type} before welcome`, protocolErrors.HELLO_REQUIRED);
              return;
            }
            guard(() => options.handler.onMessage(message));
        }
      });
      // The edge answered the upgrade with an HTTP response: its JSON body says why.
      ws.on('unexpected-response', (_req, res) => {
        void readRefusal(res, options.maxRefusalBytes ?? DEFAULT_MAX_REFUSAL_BYTES).then(
          (refusal) => {
            if (refusal.status === 401) refused = true;
            because(describeRefusal(refusal));
            ws.terminate();
          },
        );
      });
      ws.on('error', (error) => because(error.message));
      ws.on('close', (code, why) => {
        clearTimeout(welcomeTimer);
        heartbeat?.stop();
        if (code === protocolErrors.REVOKED) refused = true;
        const known = closeReasons[code];
        if (known) because(known);
        else if (code === 1006) because('connection lost without a close frame (1006)');
        else if (code !== 1005) {
          because(`edge closed the connection (${code}${why.length ? ` ${why.toString()}` : ''})`);
        }
        socket = undefined;
        if (welcomed) {
          connected = false;
          options.handler.onDisconnect();
        }
        resolve(reason ?? 'connection closed');
      });
    });

  const loop = (async () => {
    while (!stopped) {
      const reason = await session();
      if (stopped) break;
      if (refused && options.onRefused) {
        stopped = true;
        log(`rbee agent: stopping: ${reason}`);
        options.onRefused(reason);
        break;
      }
      const delay = backoff.next();
      log(`rbee agent disconnected from ${options.url}: ${reason}; reconnecting in ${delay} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  return {
    get connected() {
      return connected;
    },
    async stop() {
      stopped = true;
      wake?.();
      const ws = socket;
      if (ws) {
        if (ws.readyState === WebSocket.OPEN) {
          ws.close(1001, 'agent stopping');
          setTimeout(() => ws.terminate(), 2_000).unref();
        } else {
          ws.terminate();
        }
      }
      await loop;
    },
  };
}
