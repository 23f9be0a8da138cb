import type { Context } from 'hono';
import type { z } from 'zod';
import { apiError } from './errors.ts';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Parses a JSON body with its schema. Returns the data, or the 400/413 Response that names the
 * broken rule (the first zod issue, with its path).
 */
export async function readBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.infer<S> | Response> {
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) {
    return apiError(
      c,
      413,
      'BODY_TOO_LARGE',
      `request body is larger than ${MAX_BODY_BYTES} bytes`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return apiError(
      c,
      400,
      'BAD_JSON',
      `request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.') || '(body)';
    return apiError(c, 400, 'BAD_REQUEST', `${path}: ${issue.message}`);
  }
  return parsed.data;
}
