import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startConnection } from '../../../agent/connection/connection.ts';

/** An HTTP server on port 0 that answers every upgrade with `status` and `body`, as the edge does. */
async function refusingEdge(status: number, body: string, contentType = 'application/json') {
  let refused = 0;
  const server = createServer();
  server.on('upgrade', (_req, socket) => {
    refused++;
    const bytes = Buffer.from(body);
    socket.end(
      `HTTP/1.1 ${status} Refused\r\ncontent-type: ${contentType}\r\ncontent-length: ${bytes.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent`,
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const handler = {
  hello: async () => {
    throw new Error('a refused upgrade never says hello');
  },
  onWelcome: () => {},
  onMessage: () => {},
  onDisconnect: () => {},
};

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** Dials `edge` until it was refused three times; returns the first disconnect line. */
async function dial(edge: Awaited<ReturnType<typeof refusingEdge>>, maxRefusalBytes?: number) {
  const lines: string[] = [];
  const connection = startConnection({
    url: edge.url,
    token: 'rbh_wrong',
    handler,
    log: (line) => lines.push(line),
    backoff: { baseMs: 10, capMs: 50 },
    ...(maxRefusalBytes !== undefined ? { maxRefusalBytes } : {}),
  });
  cleanup.push(edge.close, () => connection.stop());
  await expect.poll(() => edge.refused).toBeGreaterThanOrEqual(3);
  await expect
    .poll(() => lines.filter((l) => l.includes('reconnecting in')).length)
    .toBeGreaterThanOrEqual(2);
  return lines[0]!;
}

const unauthorized = JSON.stringify({
  code: 'UNAUTHORIZED',
  error: 'unknown or revoked hive token',
});

describe('a refused upgrade', () => {
  test("shows the edge's JSON reason with the status and code, and the agent keeps trying", async () => {
    const edge = await refusingEdge(401, unauthorized);
    expect(await dial(edge)).toMatch(
      new RegExp(
        `^rbee agent disconnected from ${edge.url}: edge refused the connection \\(401 UNAUTHORIZED\\): unknown or revoked hive token; check --token; reconnecting in \\d+ ms$`,
      ),
    );
  });

  test('another status with a JSON body names its code, without the token hint', async () => {
    const body = JSON.stringify({
      code: 'UPGRADE_REQUIRED',
      error: 'GET /agent is a WebSocket endpoint',
    });
    const edge = await refusingEdge(426, body);
    expect(await dial(edge)).toMatch(
      /: edge refused the connection \(426 UPGRADE_REQUIRED\): GET \/agent is a WebSocket endpoint; reconnecting in \d+ ms$/,
    );
  });

  test('a body exactly at maxRefusalBytes is read; one byte more gives the status alone', async () => {
    const atLimit = await refusingEdge(401, unauthorized);
    expect(await dial(atLimit, unauthorized.length)).toMatch(
      /edge refused the connection \(401 UNAUTHORIZED\): unknown or revoked hive token; check --token;/,
    );
    const over = await refusingEdge(401, unauthorized);
    expect(await dial(over, unauthorized.length - 1)).toMatch(
      /: edge refused the token \(401\): check --token; reconnecting in \d+ ms$/,
    );
  });

  test('a body that is not the edge JSON gives the status alone', async () => {
    const html = await refusingEdge(502, '<html>Bad Gateway</html>', 'text/html');
    expect(await dial(html)).toMatch(
      /: edge answered HTTP 502 instead of upgrading to a WebSocket; reconnecting in \d+ ms$/,
    );
    const other = await refusingEdge(401, JSON.stringify({ message: 'no' }));
    expect(await dial(other)).toMatch(
      /: edge refused the token \(401\): check --token; reconnecting/,
    );
  });
});
