import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

type LayoutProps = {
  title: string;
  /** Which client view runs on the page (`data-page`); none for the sign-in page. */
  page?: string;
  csrf?: string;
  data?: Record<string, string>;
  children?: Child;
};

const NAV = [
  ['fleet', '/fleet', 'Fleet'],
  ['catalog', '/catalog', 'Catalog'],
  ['jobs', '/jobs', 'Jobs'],
  ['rollouts', '/rollouts', 'Rollouts'],
] as const;

/** The page frame: navigation, sign-out form and the client script for the live parts. */
export function Layout({ title, page, csrf, data = {}, children }: LayoutProps) {
  const dataAttrs = Object.fromEntries(Object.entries(data).map(([k, v]) => [`data-${k}`, v]));
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
        <body data-page={page ?? 'login'} {...dataAttrs}>
          <header class="top">
            <a class="brand" href="/">
              rbee fleet
            </a>
            {csrf ? (
              <>
                <nav>
                  {NAV.map(([key, href, label]) => (
                    <a href={href} class={page?.startsWith(key.replace(/s$/, '')) ? 'on' : ''}>
                      {label}
                    </a>
                  ))}
                </nav>
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
