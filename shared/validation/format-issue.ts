import type { z } from 'zod';

/**
 * The one way a zod refusal is worded: the path of the first issue, then its message, so a
 * refusal names the field and the rule.
 * @example formatIssue(schema.safeParse(body).error!, '(body)') // "hive: Invalid input: expected string"
 */
export function formatIssue(error: z.ZodError, whole = '(value)'): string {
  const issue = error.issues[0];
  if (!issue) return `${whole}: invalid`;
  const path = issue.path.map(String).join('.') || whole;
  return `${path}: ${issue.message}`;
}
