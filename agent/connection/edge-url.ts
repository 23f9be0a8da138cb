/** Where the agent reaches the edge: the WebSocket of `/agent` and the HTTP base for downloads. */
export type EdgeUrls = {
  /** `ws(s)://host[:port][/prefix]/agent` */
  agent: string;
  /** `http(s)://host[:port][/prefix]`, no trailing slash; append `/workers/...` to it. */
  http: string;
};

/** The edge URL given on the command line is not one the agent can dial. */
export class EdgeUrlError extends Error {
  override name = 'EdgeUrlError';
}

const toWs: Record<string, string> = {
  'http:': 'ws:',
  'https:': 'wss:',
  'ws:': 'ws:',
  'wss:': 'wss:',
};
const toHttp: Record<string, string> = {
  'http:': 'http:',
  'https:': 'https:',
  'ws:': 'http:',
  'wss:': 'https:',
};

/**
 * Derives both URLs from the edge's base URL, keeping any path prefix (an edge behind a
 * reverse proxy at `/rbee` is dialled at `/rbee/agent`). A base that already ends in `/agent`
 * is taken to mean the socket itself.
 * @example edgeUrls('https://edge.example/rbee/')
 * // { agent: 'wss://edge.example/rbee/agent', http: 'https://edge.example/rbee' }
 */
export function edgeUrls(base: string): EdgeUrls {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new EdgeUrlError(
      `Cannot use edge URL "${base}": not an absolute URL (try http://host:8787)`,
    );
  }
  const ws = toWs[url.protocol];
  const http = toHttp[url.protocol];
  if (!ws || !http) {
    throw new EdgeUrlError(
      `Cannot use edge URL "${base}": scheme must be http, https, ws or wss, not ${url.protocol.replace(':', '')}`,
    );
  }
  if (url.username || url.password) {
    throw new EdgeUrlError(
      `Cannot use edge URL "${base}": pass credentials with --token, not in the URL`,
    );
  }
  if (url.search || url.hash) {
    throw new EdgeUrlError(`Cannot use edge URL "${base}": a base URL has no query or fragment`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/agent')) path = path.slice(0, -'/agent'.length);
  return {
    agent: `${ws}//${url.host}${path}/agent`,
    http: `${http}//${url.host}${path}`,
  };
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** True for localhost, 127.0.0.0/8 and [::1]: traffic that never leaves the machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * The transport rule: a plain http:// or ws:// edge is refused unless it is on a loopback
 * address or `--insecure` was given (then the caller warns). The hive token and every job
 * would otherwise cross the network in clear text, readable and changeable on the way.
 * @example requireTls('http://edge.lan:8787', false) // throws EdgeUrlError INSECURE_EDGE
 */
export function requireTls(base: string, insecure: boolean): { insecure: boolean } {
  const url = new URL(edgeUrls(base).http);
  if (url.protocol === 'https:') return { insecure: false };
  if (isLoopback(url.hostname)) return { insecure: false };
  if (insecure) return { insecure: true };
  throw new EdgeUrlError(
    `Cannot use edge URL "${base}": INSECURE_EDGE: ${url.host} is not a loopback address, so the edge must be https:// or wss:// (pass --insecure to accept plain http, and anyone on the path with it)`,
  );
}
