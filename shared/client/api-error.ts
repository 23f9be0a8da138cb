/**
 * A refused or failed API call: the HTTP status, the edge's stable `code` and its message.
 * A network failure (edge unreachable) has status 0 and code `UNREACHABLE`.
 * @example try { await client.getJob(id) } catch (e) { if (e instanceof ApiError && e.code === 'UNKNOWN_JOB') … }
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads an error answer as an ApiError; a body that is not the API's JSON still says what came back. */
export async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (typeof body.error === 'string' && typeof body.code === 'string') {
      return new ApiError(res.status, body.code, body.error);
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(
    res.status,
    `HTTP_${res.status}`,
    `HTTP ${res.status}: ${text.slice(0, 200)}`,
  );
}
