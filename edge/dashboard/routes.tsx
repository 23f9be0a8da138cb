import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import type { Role } from '../../shared/api/tokens.ts';
import { auditId } from '../audit/audit-log.ts';
import { sourceAddress } from '../audit/source-address.ts';
import { FailureLimit } from '../auth/failure-limit.ts';
import { BOOTSTRAP_ADMIN, NAMED_TOKEN_PREFIX, roleAllows } from '../auth/roles.ts';
import {
  csrfMatches,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  type SessionPrincipal,
  type Sessions,
} from '../auth/sessions.ts';
import { hashToken } from '../auth/tokens.ts';
import { clientIp } from '../http/client-ip.ts';
import { apiError } from '../http/errors.ts';
import { adminTokenCheck } from '../http/require-admin.ts';
import type { Store } from '../store/store.ts';
import { clientScript } from './client-script.ts';
import { AuditPage } from './pages/audit-page.tsx';
import { EnrolmentPage } from './pages/enrolment-page.tsx';
import { TokensPage } from './pages/tokens-page.tsx';
import { WebhooksPage } from './pages/webhooks-page.tsx';
import {
  CatalogPage,
  FleetPage,
  JobPage,
  JobsPage,
  LoginPage,
  RolloutPage,
  RolloutsPage,
} from './pages.tsx';
import { styles } from './styles.ts';
import type { Who } from './who.ts';

const isHttps = (c: Context) =>
  new URL(c.req.url).protocol === 'https:' || c.req.header('X-Forwarded-Proto') === 'https';

/** Only a local path may be a place to go back to after signing in. */
const safeNext = (next: unknown) =>
  typeof next === 'string' && /^\/[A-Za-z0-9/_.-]*$/.test(next) && !next.startsWith('//')
    ? next
    : '/fleet';

/** A form post from another site (login CSRF) is refused; browsers send Origin on POST. */
function crossSite(c: Context): boolean {
  if (c.req.header('Sec-Fetch-Site') === 'cross-site') return true;
  const origin = c.req.header('Origin');
  return !!origin && origin !== 'null' && origin !== new URL(c.req.url).origin;
}

/**
 * Pages load only this origin's script and stylesheet and may not be framed; the client sets
 * colours through element.style (CSSOM), which style-src 'self' allows.
 */
const pageSecurity = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
  strictTransportSecurity: false,
});

/** Every page and asset of the dashboard, signed in or not: secureHeaders covers them all. */
const PAGES = [
  '/',
  '/login',
  '/logout',
  '/fleet',
  '/catalog',
  '/jobs',
  '/jobs/*',
  '/rollouts',
  '/rollouts/*',
  '/enrolment',
  '/tokens',
  '/webhooks',
  '/audit',
  '/dashboard/*',
];

/** The sign-in page is not cached either. */
function pageHeaders(c: Context) {
  c.header('Cache-Control', 'no-store');
}

const ASSET_HEADERS = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };

/**
 * The dashboard: server-rendered pages (hono/jsx) behind a session cookie, plus one client
 * script for the live parts, which calls the admin API with the same cookie.
 */
export function dashboardRoutes(
  store: Store,
  sessions: Sessions,
  /** Failed sign-ins per client IP (429 RATE_LIMITED with Retry-After past it). */
  signInFailures = new FailureLimit(10),
) {
  const app = new Hono();
  const checkToken = adminTokenCheck(store);
  /**
   * Who a pasted token signs in as: a live named token (`rbt_…`) with its role, or the
   * bootstrap admin token; null for anything else.
   */
  const signInAs = async (token: string): Promise<SessionPrincipal | 'admin' | null> => {
    if (!token.startsWith(NAMED_TOKEN_PREFIX)) return (await checkToken(token)) ? 'admin' : null;
    const token_hash = await hashToken(token);
    const record = await store.getApiTokenByHash(token_hash);
    if (!record || record.revoked_at !== null) return null;
    if (record.expires_at !== null && record.expires_at <= Date.now()) return null;
    return { name: record.name, role: record.role, token_hash };
  };
  for (const path of PAGES) app.use(path, pageSecurity);

  app.get('/dashboard/app.js', (c) =>
    c.body(clientScript, 200, {
      ...ASSET_HEADERS,
      'Content-Type': 'text/javascript; charset=utf-8',
    }),
  );
  app.get('/dashboard/app.css', (c) =>
    c.body(styles, 200, { ...ASSET_HEADERS, 'Content-Type': 'text/css; charset=utf-8' }),
  );

  app.get('/', async (c) =>
    c.redirect((await sessions.get(getCookie(c, SESSION_COOKIE))) ? '/fleet' : '/login'),
  );

  app.get('/login', (c) => {
    pageHeaders(c);
    return c.html(<LoginPage next={safeNext(c.req.query('next'))} />);
  });

  app.post('/login', async (c) => {
    if (crossSite(c)) return c.text('cross-site sign-in refused', 403);
    const ip = clientIp(c);
    const wait = signInFailures.retryAfterS(ip);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return apiError(
        c,
        429,
        'RATE_LIMITED',
        `more than ${signInFailures.maxPerMinute} failed sign-ins from ${ip} in a minute; retry after ${wait} s`,
      );
    }
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const as = token ? await signInAs(token) : null;
    if (!as) {
      signInFailures.fail(ip);
      pageHeaders(c);
      return c.html(
        <LoginPage next={next} error="That token is not right (or it was revoked or expired)." />,
        401,
      );
    }
    const { id } = await sessions.create(as === 'admin' ? undefined : as);
    const actor = as === 'admin' ? BOOTSTRAP_ADMIN : as;
    await store.appendAudit({
      id: auditId(),
      at: Date.now(),
      actor: actor.name,
      role: actor.role,
      action: 'session.sign_in',
      target: null,
      status: 303,
      source: sourceAddress(c),
    });
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      path: '/',
      maxAge: SESSION_TTL_MS / 1000,
    });
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = await sessions.get(id);
    const form = await c.req.parseBody();
    if (session && !csrfMatches(session, typeof form.csrf === 'string' ? form.csrf : null)) {
      return c.text('sign-out needs the CSRF token of the session', 403);
    }
    await sessions.end(id);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
    return c.redirect('/login', 303);
  });

  /**
   * A page for signed-in users holding at least `role`; others go to sign in and come back
   * (a role too small gets 403: the API would refuse every call the page makes).
   */
  const page =
    (render: (who: Who, c: Context) => ReturnType<typeof FleetPage>, role: Role = 'viewer') =>
    async (c: Context) => {
      const session = await sessions.get(getCookie(c, SESSION_COOKIE));
      if (!session) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
      c.header('Cache-Control', 'no-store');
      const who: Who = {
        csrf: session.csrf,
        name: session.name ?? BOOTSTRAP_ADMIN.name,
        role: session.role ?? BOOTSTRAP_ADMIN.role,
      };
      if (!roleAllows(who.role, role)) {
        return c.text(`this page needs the ${role} role; "${who.name}" has ${who.role}`, 403);
      }
      return c.html(render(who, c));
    };

  app.get(
    '/fleet',
    page((who) => <FleetPage who={who} />),
  );
  app.get(
    '/catalog',
    page((who) => <CatalogPage who={who} />),
  );
  app.get(
    '/jobs',
    page((who) => <JobsPage who={who} />),
  );
  app.get(
    '/jobs/:id',
    page((who, c) => <JobPage who={who} id={c.req.param('id') ?? ''} />),
  );
  app.get(
    '/rollouts',
    page((who) => <RolloutsPage who={who} />),
  );
  app.get(
    '/rollouts/:id',
    page((who, c) => <RolloutPage who={who} id={c.req.param('id') ?? ''} />),
  );
  app.get(
    '/enrolment',
    page((who) => <EnrolmentPage who={who} />, 'admin'),
  );
  app.get(
    '/tokens',
    page((who) => <TokensPage who={who} />, 'admin'),
  );
  app.get(
    '/webhooks',
    page((who) => <WebhooksPage who={who} />, 'admin'),
  );
  app.get(
    '/audit',
    page((who) => <AuditPage who={who} />),
  );

  return app;
}
