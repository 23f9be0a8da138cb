import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Role } from '../../shared/api/tokens.ts';
import { roleAllows } from '../auth/roles.ts';
import type { Who } from './who.ts';

type LayoutProps = {
  title: string;
  /** Which client view runs on the page (`data-page`); none for the sign-in page. */
  page?: string;
  /** The signed-in user; none for the sign-in page. */
  who?: Who;
  data?: Record<string, string>;
  children?: Child;
};

/** The pages, and the least role that sees each in the navigation (the API decides the rest). */
const NAV: [key: string, href: string, label: string, role: Role][] = [
  ['fleet', '/fleet', 'Fleet', 'viewer'],
  ['catalog', '/catalog', 'Catalog', 'viewer'],
  ['jobs', '/jobs', 'Jobs', 'viewer'],
  ['rollouts', '/rollouts', 'Rollouts', 'viewer'],
  ['enrolment', '/enrolment', 'Enrolment', 'admin'],
  ['tokens', '/tokens', 'Tokens', 'admin'],
  ['webhooks', '/webhooks', 'Webhooks', 'admin'],
  ['audit', '/audit', 'Audit', 'viewer'],
];

/** The page frame: navigation, sign-out form and the client script for the live parts. */
export function Layout({ title, page, who, data = {}, children }: LayoutProps) {
  const dataAttrs = Object.fromEntries(Object.entries(data).map(([k, v]) => [`data-${k}`, v]));
  const csrf = who?.csrf;
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          {csrf ? <meta name="csrf-token" content={csrf} /> : null}
          <title>{`${title} · rbee fleet`}</title>
          <link rel="stylesheet" href="/dashboard/app.css" />
        </head>
        <body data-page={page ?? 'login'} data-role={who?.role ?? ''} {...dataAttrs}>
          <header class="top">
            <a class="brand" href="/">
              rbee fleet
            </a>
            {csrf ? (
              <>
                <nav>
                  {NAV.filter((n) => who && roleAllows(who.role, n[3])).map(
                    ([key, href, label]) => (
                      <a href={href} class={page?.startsWith(key.replace(/s$/, '')) ? 'on' : ''}>
                        {label}
                      </a>
                    ),
                  )}
                </nav>
                <span class="who" title={`signed in as ${who?.name} (${who?.role})`}>
                  {who?.name} <span class="badge role">{who?.role}</span>
                </span>
                <form method="post" action="/logout" class="signout">
                  <input type="hidden" name="csrf" value={csrf} />
                  <button type="submit">Sign out</button>
                </form>
              </>
            ) : null}
          </header>
          <main>{children}</main>
          {csrf ? <script type="module" src="/dashboard/app.js" /> : null}
        </body>
      </html>
    </>
  );
}
