import type { Context } from 'hono';

/**
 * The peer address of a request, from what the runtime adapter put in `c.env`: Node's
 * `incoming.socket`, or Deno.serve's `remoteAddr`. Null when the runtime gives none (tests
 * calling `app.fetch` directly). Proxies' X-Forwarded-For is not trusted here.
 */
export function sourceAddress(c: Context): string | null {
  const env = c.env as
    | {
        incoming?: { socket?: { remoteAddress?: string } };
        remoteAddr?: { hostname?: string };
      }
    | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname ?? null;
}
