import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type Connection, startConnection } from '../../../agent/connection/connection.ts';

type Peer = { ws: WebSocket; req: IncomingMessage; received: Array<Record<string, unknown>> };

/**
 * A scripted stand-in for the edge's socket: checks the token before the upgrade (401 like the
 * edge), records every connection and message, and lets each test drive the conversation.
 */
async function fakeEdge(token = 'rbh_good') {
  const peers: Peer[] = [];
  let refused = 0;
  let onPeer: ((peer: Peer) => void) | undefined;
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      refused++;
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const peer: Peer = { ws, req, received: [] };
      ws.on('message', (data) => peer.received.push(JSON.parse(data.toString())));
      peers.push(peer);
      onPeer?.(peer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent`;
  return {
    url,
    peers,
    get refused() {
      return refused;
    },
    /** The n-th connection (0-based), once it exists. */
    peer(n: number): Promise<Peer> {
      if (peers[n]) return Promise.resolve(peers[n]!);
      return new Promise((resolve) => {
        const previous = onPeer;
        onPeer = (peer) => {
          previous?.(peer);
          if (peers[n]) resolve(peers[n]!);
        };
      });
    },
    close: async () => {
      for (const p of peers) p.ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves with the first message of `type` (and matching `match`) the peer has or gets. */
async function nextOf(
  peer: Peer,
  type: string,
  match: (m: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  for (;;) {
    const found = peer.received.find((m) => m.type === type && match(m));
    if (found) return found;
    await new Promise((resolve) => peer.ws.once('message', resolve));
  }
}

const send = (peer: Peer, message: object) => peer.ws.send(JSON.stringify({ v: 1, ...message }));
const welcome = (peer: Peer, heartbeat_ms = 60_000) =>
  send(peer, { type: 'welcome', hive: 'hive_one', heartbeat_ms, jobs: [] });

function handler() {
  const events: string[] = [];
  const sends: Array<(m: never) => boolean> = [];
  return {
    events,
    sends,
    hello: async () => ({
      type: 'hello' as const,
      agent_version: '0.1.0',
      protocol: 1,
      platform: { os: 'linux' as const, arch: 'x86_64' as const, accelerators: [] },
      installed: [],
      jobs: [],
    }),
    onWelcome: (w: { hive: string }, s: (m: never) => boolean) => {
      events.push(`welcome ${w.hive}`);
      sends.push(s);
    },
    onMessage: (m: { type: string }) => events.push(`message ${m.type}`),
    onDisconnect: () => events.push('disconnect'),
  };
}

/** Resolves when a log line matching `pattern` has been written. */
function logWatcher() {
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  return {
    lines,
    log: (line: string) => {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    },
    waitFor(pattern: RegExp): Promise<string> {
      const found = lines.find((l) => pattern.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setup(token = 'rbh_good', backoff = { baseMs: 10, capMs: 50 }) {
  const edge = await fakeEdge();
  const h = handler();
  const logs = logWatcher();
  const connection: Connection = startConnection({
    url: edge.url,
    token,
    handler: h,
    log: logs.log,
    backoff,
  });
  cleanup.push(edge.close, () => connection.stop());
  return { edge, h, logs, connection };
}

describe('startConnection', () => {
  test('dials with the bearer token, says hello first, and reports the hive on welcome', async () => {
    const { edge, h, logs, connection } = await setup();
    const peer = await edge.peer(0);
    expect(peer.req.headers.authorization).toBe('Bearer rbh_good');
    expect(peer.req.headers['sec-websocket-extensions']).toBeUndefined(); // no permessage-deflate
    const hello = await nextOf(peer, 'hello');
    expect(hello).toMatchObject({
      v: 1,
      type: 'hello',
      agent_version: '0.1.0',
      protocol: 1,
      jobs: [],
    });
    expect(peer.received[0]).toBe(hello);
    expect(connection.connected).toBe(false);
    welcome(peer);
    expect(await logs.waitFor(/connected/)).toBe(
      `rbee agent connected to ${edge.url} as hive hive_one`,
    );
    expect(connection.connected).toBe(true);
    expect(h.events).toEqual(['welcome hive_one']);
  });

  test('answers ping with pong carrying the same ts, and hands on job messages after welcome', async () => {
    const { edge, h, logs } = await setup();
    const peer = await edge.peer(0);
    await nextOf(peer, 'hello');
    welcome(peer);
    await logs.waitFor(/connected/);
    send(peer, { type: 'ping', ts: 12345 });
    expect(await nextOf(peer, 'pong')).toEqual({ v: 1, type: 'pong', ts: 12345 });
    send(peer, { type: 'ack', job: 'job_aaaaaaaa', next_seq: 3 });
    send(peer, { type: 'ping', ts: 2 });
    await nextOf(peer, 'pong', (m) => m.ts === 2); // the ack before it has been handled too
    expect(h.events).toEqual(['welcome hive_one', 'message ack']);
  });

  test('a refused token (401) is said plainly and the agent keeps trying', async () => {
    const { edge, logs } = await setup('rbh_wrong');
    await logs.waitFor(/reconnecting in/);
    await expect.poll(() => edge.refused).toBeGreaterThanOrEqual(3);
    expect(logs.lines[0]).toMatch(
      new RegExp(
        `^rbee agent disconnected from ${edge.url}: edge refused the token \\(401\\): check --token; reconnecting in \\d+ ms$`,
      ),
    );
  });

  test('pings every heartbeat; silence for two intervals drops the socket and dials again', async () => {
    const { edge, h, logs } = await setup();
    const peer = await edge.peer(0);
    await nextOf(peer, 'hello');
    welcome(peer, 100);
    expect(await nextOf(peer, 'ping')).toMatchObject({
      v: 1,
      type: 'ping',
      ts: expect.any(Number),
    });
    // The fake edge now says nothing at all: a half-open connection, as far as the agent knows.
    expect(await logs.waitFor(/disconnected/)).toMatch(
      /no message from the edge for 200 ms; reconnecting in \d+ ms/,
    );
    const second = await edge.peer(1);
    expect(await nextOf(second, 'hello')).toMatchObject({ type: 'hello' });
    expect(h.events).toEqual(['welcome hive_one', 'disconnect']);
  });

  test('a message that breaks the protocol closes the socket with its code, then it dials again', async () => {
    const { edge, logs } = await setup();
    const peer = await edge.peer(0);
    await nextOf(peer, 'hello');
    welcome(peer);
    const closed = new Promise<number>((resolve) => peer.ws.once('close', (code) => resolve(code)));
    send(peer, { type: 'launch_missiles' });
    expect(await closed).toBe(1003);
    expect(await logs.waitFor(/disconnected/)).toMatch(/edge sent a bad message \(UNKNOWN_TYPE\)/);
    await edge.peer(1);
  });

  test('something other than welcome first is refused with 1002', async () => {
    const { edge, h } = await setup();
    const peer = await edge.peer(0);
    await nextOf(peer, 'hello');
    const closed = new Promise<number>((resolve) => peer.ws.once('close', (code) => resolve(code)));
    send(peer, { type: 'ack', job: 'job_aaaaaaaa', next_seq: 1 });
    expect(await closed).toBe(1002);
    expect(h.events).toEqual([]);
  });

  test('error then a REPLACED close is logged and followed by a reconnect', async () => {
    const { edge, logs } = await setup();
    const peer = await edge.peer(0);
    await nextOf(peer, 'hello');
    welcome(peer);
    send(peer, { type: 'error', code: 'REPLACED', message: 'another connection took over' });
    peer.ws.close(4001, 'REPLACED');
    expect(await logs.waitFor(/edge error/)).toBe(
      'rbee agent: edge error REPLACED: another connection took over',
    );
    expect(await logs.waitFor(/disconnected/)).toMatch(
      /edge error REPLACED: another connection took over; reconnecting/,
    );
    await edge.peer(1);
  });

  test('backoff grows while dialling fails and starts again after a welcome', async () => {
    const edge = await fakeEdge();
    const logs = logWatcher();
    let failing = 3;
    const h = handler();
    const connection = startConnection({
      url: edge.url,
      token: 'rbh_good',
      handler: {
        ...h,
        // Failing to build hello makes the agent drop the socket: a failed attempt.
        hello: async () => {
          if (failing-- > 0) throw new Error('not yet');
          return h.hello();
        },
      },
      log: logs.log,
      backoff: { baseMs: 10, capMs: 10_000, random: () => 0.99 },
    });
    cleanup.push(edge.close, () => connection.stop());
    const peer = await edge.peer(3);
    await nextOf(peer, 'hello');
    welcome(peer);
    await logs.waitFor(/connected/);
    peer.ws.close(1001, 'edge restarting');
    await logs.waitFor(/edge is shutting down/);
    const delays = logs.lines
      .filter((l) => l.includes('reconnecting'))
      .map((l) => Number(/in (\d+) ms/.exec(l)![1]));
    expect(delays).toEqual([9, 19, 39, 9]);
  });

  test('stop closes the socket and dials no more', async () => {
    const { edge, h, logs, connection } = await setup();
    const peer = await edge.peer(0);
    await nextOf(peer, 'hello');
    welcome(peer);
    await logs.waitFor(/connected/);
    const closed = new Promise<number>((resolve) => peer.ws.once('close', (code) => resolve(code)));
    await connection.stop();
    expect(await closed).toBe(1001);
    expect(h.events).toEqual(['welcome hive_one', 'disconnect']);
    expect(edge.peers).toHaveLength(1);
    expect(peer.ws.readyState).toBe(WebSocket.CLOSED);
  });
});
