import { afterEach, describe, expect, it } from 'vitest';
import { Sessions } from '../../edge/auth/sessions.ts';
import { hashToken } from '../../edge/auth/tokens.ts';
import { openNodeStore } from '../../edge/node/open-store.ts';
import { tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';

let edge: Awaited<ReturnType<typeof inProcessEdge>> | null = null;
afterEach(async () => {
  await edge?.close();
  edge = null;
});

/** Posts the sign-in form; returns the response without following the redirect. */
function signIn(url: string, token: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next: '/jobs' }),
  });
}

const sessionCookie = (res: Response) =>
  /rbee_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;

async function csrfOf(url: string, cookie: string) {
  const html = await (
    await fetch(`${url}/fleet`, { headers: { Cookie: `rbee_session=${cookie}` } })
  ).text();
  return /<meta name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
}

describe('dashboard sign-in and the admin API with a session cookie', () => {
  it('GET / sends a signed-out browser to sign in, and a page comes back after it', async () => {
    edge = await inProcessEdge();
    const root = await fetch(`${edge.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/login');
    const page = await fetch(`${edge.url}/jobs`, { redirect: 'manual' });
    expect(page.headers.get('location')).toBe('/login?next=%2Fjobs');
  });

  it('a wrong token is refused with 401 and no cookie', async () => {
    edge = await inProcessEdge();
    const res = await signIn(edge.url, 'rba_wrong');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('the right token sets an httpOnly SameSite=Strict cookie that is not the token', async () => {
    edge = await inProcessEdge();
    const res = await signIn(edge.url, ADMIN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/jobs');
    const header = res.headers.get('set-cookie')!;
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).toMatch(/Path=\//);
    expect(header).not.toMatch(/Secure/); // plain http here; https sets Secure
    expect(header).not.toContain(ADMIN);
    const hives = await fetch(`${edge.url}/api/hives`, {
      headers: { Cookie: `rbee_session=${sessionCookie(res)}` },
    });
    expect(hives.status).toBe(200);
  });

  it('a cross-site sign-in form post is refused', async () => {
    edge = await inProcessEdge();
    const res = await signIn(edge.url, ADMIN, { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('with the cookie, POST needs the CSRF token of that session; Bearer needs none', async () => {
    edge = await inProcessEdge();
    const cookie = sessionCookie(await signIn(edge.url, ADMIN));
    const csrf = await csrfOf(edge.url, cookie);
    const post = (headers: Record<string, string>) =>
      fetch(`${edge!.url}/api/hives`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ name: `h${Math.random().toString(36).slice(2, 8)}` }),
      });
    const bare = await post({ Cookie: `rbee_session=${cookie}` });
    expect(bare.status).toBe(403);
    expect(await bare.json()).toMatchObject({ code: 'CSRF' });
    const other = await post({ Cookie: `rbee_session=${cookie}`, 'X-CSRF-Token': 'x'.repeat(32) });
    expect(other.status).toBe(403);
    expect((await post({ Cookie: `rbee_session=${cookie}`, 'X-CSRF-Token': csrf })).status).toBe(
      201,
    );
    expect((await post({ Authorization: `Bearer ${ADMIN}` })).status).toBe(201);
  });

  it('sign-out needs the CSRF token, then the cookie opens nothing', async () => {
    edge = await inProcessEdge();
    const cookie = sessionCookie(await signIn(edge.url, ADMIN));
    const csrf = await csrfOf(edge.url, cookie);
    const out = (token: string) =>
      fetch(`${edge!.url}/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          Cookie: `rbee_session=${cookie}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ csrf: token }),
      });
    expect((await out('wrong')).status).toBe(403);
    const res = await out(csrf);
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/rbee_session=;/);
    const after = await fetch(`${edge.url}/api/hives`, {
      headers: { Cookie: `rbee_session=${cookie}` },
    });
    expect(after.status).toBe(401);
  });

  it('serves the client script and stylesheet with their types', async () => {
    edge = await inProcessEdge();
    const js = await fetch(`${edge.url}/dashboard/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('document.body.dataset.page');
    const css = await fetch(`${edge.url}/dashboard/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('pages carry a content security policy that allows only this origin', async () => {
    edge = await inProcessEdge();
    const login = await fetch(`${edge.url}/login`);
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});

describe('dashboard sessions opened with a named token', () => {
  it("act with the token's role (403 FORBIDDEN past it), name it in whoami, and end when it is revoked", async () => {
    edge = await inProcessEdge();
    const made = await edge.api('POST', '/api/tokens', { name: 'watcher', role: 'viewer' });
    const res = await signIn(edge.url, made.body.token);
    expect(res.status).toBe(303);
    const cookie = sessionCookie(res);
    const csrf = await csrfOf(edge.url, cookie);
    const headers = { Cookie: `rbee_session=${cookie}`, 'X-CSRF-Token': csrf };
    const who = await fetch(`${edge.url}/api/whoami`, { headers });
    expect(await who.json()).toEqual({ name: 'watcher', role: 'viewer' });
    const install = await fetch(`${edge.url}/api/installs`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ hive: 'nowhere', worker: 'rbee-hello-worker' }),
    });
    expect(install.status).toBe(403);
    expect(await install.json()).toEqual({
      code: 'FORBIDDEN',
      error: 'POST /api/installs needs the operator role; token "watcher" has viewer',
    });
    const tokensPage = await fetch(`${edge.url}/tokens`, { headers, redirect: 'manual' });
    expect(tokensPage.status).toBe(403);
    const audit = (await edge.api('GET', '/api/audit?action=session.sign_in')).body.entries;
    expect(audit[0]).toMatchObject({ actor: 'watcher', role: 'viewer', action: 'session.sign_in' });
    expect((await edge.api('DELETE', '/api/tokens/watcher')).status).toBe(200);
    expect((await fetch(`${edge.url}/api/hives`, { headers })).status).toBe(401);
    // A revoked token cannot sign in again.
    expect((await signIn(edge.url, made.body.token)).status).toBe(401);
  });
});

describe('Sessions', () => {
  it('a session ends at its time to live and its entry is removed when shown', async () => {
    const store = await openNodeStore(tempDir('sessions'));
    let now = 1_000_000;
    const sessions = new Sessions(store, () => now, 60_000);
    const { id, session } = await sessions.create();
    expect(await sessions.get(id)).toEqual(session);
    now += 59_999;
    expect(await sessions.get(id)).toEqual(session);
    now += 1;
    expect(await sessions.get(id)).toBeNull();
    expect(await store.getMeta(`session:${await hashToken(id)}`)).toBeNull();
    await store.close();
  });

  it('a cookie value that is not a session id is refused', async () => {
    const store = await openNodeStore(tempDir('sessions'));
    const sessions = new Sessions(store);
    for (const bad of ['', 'x', 'A'.repeat(40), `${'a'.repeat(39)}1`, undefined]) {
      expect(await sessions.get(bad)).toBeNull();
    }
    await store.close();
  });
});
