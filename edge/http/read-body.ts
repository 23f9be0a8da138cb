import type { Context } from 'hono';
import type { z } from 'zod';
import { formatIssue } from '../../shared/validation/format-issue.ts';
import { apiError } from './errors.ts';

/** Bodies are small; a fleet-wide install names up to 100,000 hives and gets more room. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Parses a JSON body with its schema. Returns the data, or the 400/413 Response that names the
 * broken rule (the first zod issue, with its path).
 */
export async function readBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  maxBytes = MAX_BODY_BYTES,
): Promise<z.infer<S> | Response> {
  const tooLarge = () =>
    apiError(c, 413, 'BODY_TOO_LARGE', `request body is larger than ${maxBytes} bytes`);
  if (Number(c.req.header('Content-Length') ?? 0) > maxBytes) return tooLarge();
  const text = await c.req.text();
  if (text.length > maxBytes) return tooLarge();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message;
    return apiError(c, 400, 'BAD_JSON', `request body is not valid JSON: ${reason}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return apiError(c, 400, 'BAD_REQUEST', formatIssue(parsed.error, '(body)'));
  }
  return parsed.data;
}
