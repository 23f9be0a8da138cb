import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/** An HTTP answer from the edge that was not the one asked for. */
export class EdgeHttpError extends Error {
  override name = 'EdgeHttpError';
  constructor(
    message: string,
    readonly status: number | undefined,
    /** The edge's error code (`UNKNOWN_WORKER`, …), when its body carried one. */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Plain HTTP to the edge, authenticated as this hive. */
export type EdgeHttp = {
  /** `http(s)://host[:port][/prefix]`, no trailing slash. */
  readonly base: string;
  /** GETs `path` (starting with `/`) and returns the body as text; throws EdgeHttpError. */
  getText(path: string, signal?: AbortSignal): Promise<string>;
  /**
   * Any request with the hive token (uploads, binary downloads): the Response when it is ok,
   * else an EdgeHttpError with the edge's reason. `timeoutMs` overrides the per-request timeout.
   */
  request(path: string, init?: RequestInit & { timeoutMs?: number }): Promise<Response>;
  /** GETs `path` and returns the exact bytes (what a signature covers). */
  getBytes(path: string, signal?: AbortSignal): Promise<Uint8Array>;
};

export type EdgeHttpOptions = {
  base: string;
  token: string;
  /** Per request (default 60 s). */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) for an https edge with a private CA (`--ca`). */
  ca?: string[];
  /** Largest body read (default 64 MiB): counted while reading. */
  maxBytes?: number;
};

/**
 * Downloads from the edge with the hive token as Bearer, failing with the edge's own reason.
 * node:http(s) rather than fetch, because fetch cannot be given a CA for one request.
 * @example
 * const http = createEdgeHttp({ base: 'https://edge:8787', token, ca: [pem] });
 * const pkgbuild = await http.getText('/workers/rbee-hello-worker/PKGBUILD');
 */
export function createEdgeHttp(options: EdgeHttpOptions): EdgeHttp {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const get = (path: string, signal?: AbortSignal) => {
    const url = `${options.base}${path}`;
    const https = url.startsWith('https:');
    return new Promise<Uint8Array>((resolve, reject) => {
      const fail = (why: string, status?: number, code?: string) =>
        reject(new EdgeHttpError(`Cannot fetch ${url}: ${why}`, status, code));
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          headers: { Authorization: `Bearer ${options.token}` },
          timeout: timeoutMs,
          ...(signal ? { signal } : {}),
          ...(https && options.ca ? { ca: options.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              req.destroy();
              fail(`the answer is larger than ${maxBytes} bytes`, res.statusCode);
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (error) => fail(error.message, res.statusCode));
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(new Uint8Array(body));
            let detail: { error?: string; code?: string } = {};
            try {
              detail = JSON.parse(body.toString('utf8')) as typeof detail;
            } catch {
              // Not the edge's JSON error (a proxy's page, say): the status alone has to do.
            }
            const reason = detail.error ? `: ${detail.error}` : '';
            fail(
              `edge answered ${status}${detail.code ? ` ${detail.code}` : ''}${reason}`,
              status,
              detail.code,
            );
          });
        },
      );
      req.on('timeout', () => {
        req.destroy();
        fail(`no answer within ${timeoutMs} ms`);
      });
      req.on('error', (error) => fail(error.message));
      req.end();
    });
  };
  const http: EdgeHttp = {
    base: options.base,
    async request(path, init = {}) {
      // node:http(s), like `get`, so `--ca` reaches uploads and package downloads too.
      const { timeoutMs: limit = timeoutMs, signal, method = 'GET', body, headers } = init;
      const url = `${options.base}${path}`;
      const https = url.startsWith('https:');
      if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        throw new TypeError('EdgeHttp.request sends a string or bytes as its body');
      }
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = (https ? httpsRequest : httpRequest)(
          url,
          {
            method,
            headers: {
              ...(headers as Record<string, string> | undefined),
              Authorization: `Bearer ${options.token}`,
            },
            timeout: limit,
            ...(signal ? { signal } : {}),
            ...(https && options.ca ? { ca: options.ca } : {}),
          },
          resolve,
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${limit} ms`)));
        req.on('error', (error) =>
          reject(
            new EdgeHttpError(`Cannot ${method} ${url}: ${error.message}`, undefined, undefined),
          ),
        );
        req.end(body ?? undefined);
      });
      const status = res.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
          responseHeaders.append(name, v);
        }
      }
      const stream = status === 204 || status === 304 ? null : Readable.toWeb(res);
      const response = new Response(stream as ReadableStream<Uint8Array> | null, {
        status,
        headers: responseHeaders,
      });
      if (response.ok) return response;
      const text = await response.text();
      let detail: { error?: string; code?: string } = {};
      try {
        detail = JSON.parse(text) as typeof detail;
      } catch {
        // Not the edge's JSON error: the status alone has to do.
      }
      throw new EdgeHttpError(
        `Cannot ${method} ${url}: edge answered ${status}${detail.code ? ` ${detail.code}` : ''}${detail.error ? `: ${detail.error}` : ''}`,
        status,
        detail.code,
      );
    },
    async getText(path, signal) {
      return new TextDecoder().decode(await get(path, signal));
    },
    getBytes: get,
  };
  return http;
}
