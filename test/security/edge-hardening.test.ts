import { afterEach, describe, expect, it } from 'vitest';
import { AdminTokenError, ensureAdminToken } from '../../edge/auth/admin-token.ts';
import { openNodeStore } from '../../edge/node/open-store.ts';
import { signIn as browserSignIn, launchBrowser } from '../dashboard/browser.ts';
import { tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

let edge: Awaited<ReturnType<typeof inProcessEdge>> | null = null;
afterEach(async () => {
  await edge?.close();
  edge = null;
});

function signIn(url: string, token: string) {
  return fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next: '/fleet' }),
  });
}
const cookieOf = (res: Response) =>
  /rbee_session=([^;]+)/.exec(res.headers.get('set-cookie')!)![1]!;
const fleetWith = (url: string, cookie: string) =>
  fetch(`${url}/api/hives`, { headers: { Cookie: `rbee_session=${cookie}` } });

describe('the admin token', () => {
  it('shorter than 32 characters is refused, naming the rule', async () => {
    const store = await openNodeStore(tempDir('admin'));
    await expect(ensureAdminToken(store, 'short-token')).rejects.toThrow(AdminTokenError);
    await expect(ensureAdminToken(store, 'x'.repeat(31))).rejects.toThrow(
      /^ADMIN_TOKEN_TOO_SHORT: RBEE_ADMIN_TOKEN has 31 characters; it must have at least 32/,
    );
    await store.close();
  });

  it('is stored as a salted PBKDF2 hash, never as its SHA-256', async () => {
    const store = await openNodeStore(tempDir('admin'));
    await ensureAdminToken(store, ADMIN);
    const stored = (await store.getMeta('admin_token_hash'))!;
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    await store.close();
  });

  it('changing it signs every dashboard session out; the same token keeps them', async () => {
    const data = tempDir('edge');
    edge = await inProcessEdge({}, data);
    const cookie = cookieOf(await signIn(edge.url, ADMIN));
    expect((await fleetWith(edge.url, cookie)).status).toBe(200);
    await edge.close();
    // A restart with the same token: still signed in.
    edge = await inProcessEdge({}, data);
    expect((await fleetWith(edge.url, cookie)).status).toBe(200);
    await edge.close();
    // A restart with another token: the old cookie opens nothing.
    const store = await openNodeStore(data);
    await ensureAdminToken(store, `${ADMIN}-rotated`);
    await store.close();
    edge = await inProcessEdge({}, data);
    // inProcessEdge sets RBEE_ADMIN_TOKEN back to ADMIN, itself another change of token.
    const res = await fleetWith(edge.url, cookie);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('POST /api/sessions/revoke-all signs every browser out', async () => {
    edge = await inProcessEdge();
    const a = cookieOf(await signIn(edge.url, ADMIN));
    const b = cookieOf(await signIn(edge.url, ADMIN));
    const res = await edge.api('POST', '/api/sessions/revoke-all');
    expect(res).toMatchObject({ status: 200, body: { revoked: true } });
    expect((await fleetWith(edge.url, a)).status).toBe(401);
    expect((await fleetWith(edge.url, b)).status).toBe(401);
    // A new sign-in works.
    expect((await fleetWith(edge.url, cookieOf(await signIn(edge.url, ADMIN)))).status).toBe(200);
  });
});

describe('logs.txt in an admin terminal', () => {
  it('keeps SGR colours, makes OSC 8 links, title changes and cursor moves visible; ?raw=1 gives the bytes', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('term');
    const agent = new RawAgent(edge.url, hive.token);
    await agent.hello();
    const job = (
      await edge.api('POST', '/api/installs', { hive: hive.id, worker: 'rbee-hello-worker' })
    ).body.job;
    await agent.next('job');
    const evil =
      '\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b]0;pwned\x07 \x1b[2J\x9b1A';
    agent.send({ type: 'logs', job: job.id, entries: [{ s: 0, t: 1, k: 'o', x: evil }] });
    await agent.next('ack');
    const get = (q: string) =>
      fetch(`${edge!.url}/api/jobs/${job.id}/logs.txt${q}`, {
        headers: { Authorization: `Bearer ${ADMIN}` },
      }).then((r) => r.text());
    expect(await get('')).toBe(
      '\x1b[31mred\x1b[0m \\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07 \\x1b]0;pwned\\x07 \\x1b[2J\\x9b1A\n',
    );
    expect(await get('?raw=1')).toBe(`${evil}\n`);
    agent.ws.terminate();
  });
});

describe('dashboard pages', () => {
  it('every page, signed in or not, carries the CSP, nosniff, a referrer policy and no framing, and Chromium enforces it', async () => {
    edge = await inProcessEdge();
    const cookie = cookieOf(await signIn(edge.url, ADMIN));
    for (const path of [
      '/login',
      '/fleet',
      '/catalog',
      '/jobs',
      '/jobs/job_abcdefgh',
      '/rollouts',
      '/rollouts/x',
      '/dashboard/app.js',
    ]) {
      const res = await fetch(`${edge.url}${path}`, {
        headers: { Cookie: `rbee_session=${cookie}` },
      });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('same-origin');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/.test(m.text())) violations.push(m.text());
      });
      await browserSignIn(page, edge.url);
      // An injected inline script is blocked by the page's CSP; the page's own script runs.
      const ran = await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.appendChild(s);
        return (window as unknown as { __injected?: boolean }).__injected === true;
      });
      expect(ran).toBe(false);
      await expect.poll(() => violations.length).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('rate limits on guessing', () => {
  it('failed sign-ins past the limit get 429 RATE_LIMITED with Retry-After, naming the rule', async () => {
    edge = await inProcessEdge({ signInFailuresPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await signIn(edge.url, `rba_wrong_${i}`)).status).toBe(401);
    const limited = await signIn(edge.url, 'rba_wrong_again');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({
      code: 'RATE_LIMITED',
      error: expect.stringMatching(
        /^more than 3 failed sign-ins from \S+ in a minute; retry after \d+ s$/,
      ),
    });
  });

  it('agent upgrades with a bad token past the limit get 429 before any token look-up', async () => {
    edge = await inProcessEdge({ agentAuthFailuresPerMinute: 3 });
    const retryAfter: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const a = new RawAgent(edge.url, `rbh_guess${i}`);
      expect(await a.refusedWith()).toBe(401);
    }
    const a = new RawAgent(edge.url, 'rbh_guess_more');
    a.ws.once('unexpected-response', (_req, res) => retryAfter.push(res.headers['retry-after']));
    expect(await a.refusedWith()).toBe(429);
    expect(Number(retryAfter[0])).toBeGreaterThan(0);
  });
});
