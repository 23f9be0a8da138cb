import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../edge/http/read-body.ts';
import { type EdgeProcess, startEdgeProcess } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';

/** Every body is counted while it is read: chunked bodies included, sign-in included. */
let edge: EdgeProcess;
beforeAll(async () => {
  edge = await startEdgeProcess();
}, 60_000);
afterAll(async () => {
  await edge?.stop('SIGKILL');
});

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** POSTs `total` bytes as a chunked body (no Content-Length); resolves at the answer. */
function chunkedPost(
  path: string,
  total: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; sent: number }> {
  const url = new URL(path, edge.url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(
      url,
      { method: 'POST', headers: { 'Transfer-Encoding': 'chunked', ...headers } },
      (res) => {
        answered = true;
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body, sent });
          req.destroy();
        });
      },
    );
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (!answered && sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && sent >= total) req.end();
    };
    pump();
  });
}

const ADMIN_JSON = { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' };
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('request body limits, enforced while reading', () => {
  it('a 300 MiB chunked POST /login is refused early and the edge does not grow', async () => {
    const pid = edge.child.pid!;
    const before = rssMiB(pid);
    const res = await chunkedPost('/login', 300 * 1024 * 1024, FORM);
    const after = rssMiB(pid);
    console.log(
      `POST /login 300 MiB chunked: ${res.status}, client had sent ${(res.sent / 1048576).toFixed(1)} MiB at the answer; edge RSS ${before.toFixed(0)} MiB -> ${after.toFixed(0)} MiB`,
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(res.sent).toBeLessThan(300 * 1024 * 1024);
    expect(after - before).toBeLessThan(64);
  }, 120_000);

  for (const [path, headers] of [
    ['/login', FORM],
    ['/logout', FORM],
    ['/api/hives', ADMIN_JSON],
    ['/api/hives/x/uninstall', ADMIN_JSON],
    ['/api/hives/x/rotate-token', ADMIN_JSON],
    ['/api/jobs/job_abcdefgh/cancel', ADMIN_JSON],
    ['/api/rollouts/x/cancel', ADMIN_JSON],
    ['/workers/rbee-hello-worker', {}],
  ] as const) {
    it(`${path}: a chunked body one byte over ${MAX_BODY_BYTES} is refused (413 BODY_TOO_LARGE), at the limit it is read`, async () => {
      const over = await chunkedPost(path, MAX_BODY_BYTES + 1, headers);
      expect(over.status).toBe(413);
      expect(JSON.parse(over.body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
      const at = await chunkedPost(path, MAX_BODY_BYTES, headers);
      expect(at.status).not.toBe(413);
    });
  }

  it('/api/installs takes up to 4 MiB (a fleet-wide install), not a byte more', async () => {
    const over = await chunkedPost('/api/installs', 4 * 1024 * 1024 + 1, ADMIN_JSON);
    expect(over.status).toBe(413);
    const at = await chunkedPost('/api/installs', 4 * 1024 * 1024, ADMIN_JSON);
    expect(at.status).toBe(400); // read whole, then refused as BAD_JSON: not the size
    expect(JSON.parse(at.body)).toMatchObject({ code: 'BAD_JSON' });
  });

  it('a declared Content-Length over the limit is refused before the body is read', async () => {
    const res = await fetch(`${edge.url}/api/hives`, {
      method: 'POST',
      headers: { ...ADMIN_JSON, 'Content-Length': String(MAX_BODY_BYTES + 1) },
      body: 'x'.repeat(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
  });
});
