import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every refusal the HTTP API gives: a stable code and a message that names the rule. */
export type ApiErrorBody = { error: string; code: string };

/** Answers with the one JSON error shape used by every route. */
export function apiError(c: Context, status: ContentfulStatusCode, code: string, error: string) {
  return c.json<ApiErrorBody>({ error, code }, status);
}
