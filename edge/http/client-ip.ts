import type { Context } from 'hono';

/**
 * The peer address of a request, from what each runtime adapter puts in `c.env`: Node's
 * `incoming.socket.remoteAddress` (@hono/node-server) or Deno's `remoteAddr.hostname`
 * (`Deno.serve`'s info). Behind a proxy this is the proxy: limits then apply per proxy.
 */
export function clientIp(c: Context): string {
  const env = c.env as
    | {
        incoming?: { socket?: { remoteAddress?: string } };
        remoteAddr?: { hostname?: string };
      }
    | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname ?? 'unknown';
}
