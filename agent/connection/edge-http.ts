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
};

export type EdgeHttpOptions = {
  base: string;
  token: string;
  /** Per request (default 60 s). */
  timeoutMs?: number;
};

/**
 * Downloads from the edge with the hive token as Bearer, failing with the edge's own reason.
 * @example
 * const http = createEdgeHttp({ base: 'http://edge:8787', token });
 * const pkgbuild = await http.getText('/workers/rbee-hello-worker/PKGBUILD');
 */
export function createEdgeHttp(options: EdgeHttpOptions): EdgeHttp {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const http: EdgeHttp = {
    base: options.base,
    async request(path, init = {}) {
      const { timeoutMs: limit = timeoutMs, signal, ...rest } = init;
      const url = `${options.base}${path}`;
      const timeout = AbortSignal.timeout(limit);
      let response: Response;
      try {
        response = await fetch(url, {
          ...rest,
          headers: {
            ...(rest.headers as Record<string, string>),
            Authorization: `Bearer ${options.token}`,
          },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        const cause =
          (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        const why = timeout.aborted ? `no answer within ${limit} ms` : cause;
        throw new EdgeHttpError(
          `Cannot ${rest.method ?? 'GET'} ${url}: ${why}`,
          undefined,
          undefined,
        );
      }
      if (response.ok) return response;
      const body = await response.text();
      let detail: { error?: string; code?: string } = {};
      try {
        detail = JSON.parse(body) as typeof detail;
      } catch {
        // Not the edge's JSON error: the status alone has to do.
      }
      throw new EdgeHttpError(
        `Cannot ${rest.method ?? 'GET'} ${url}: edge answered ${response.status}${detail.code ? ` ${detail.code}` : ''}${detail.error ? `: ${detail.error}` : ''}`,
        response.status,
        detail.code,
      );
    },
    async getText(path, signal) {
      const url = `${options.base}${path}`;
      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { Authorization: `Bearer ${options.token}` },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        const cause =
          (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : cause;
        throw new EdgeHttpError(`Cannot fetch ${url}: ${why}`, undefined, undefined);
      }
      const body = await response.text();
      if (!response.ok) {
        let detail: { error?: string; code?: string } = {};
        try {
          detail = JSON.parse(body) as typeof detail;
        } catch {
          // Not the edge's JSON error (a proxy's page, say): the status alone has to do.
        }
        const reason = detail.error ? `: ${detail.error}` : '';
        throw new EdgeHttpError(
          `Cannot fetch ${url}: edge answered ${response.status}${detail.code ? ` ${detail.code}` : ''}${reason}`,
          response.status,
          detail.code,
        );
      }
      return body;
    },
  };
  return http;
}
