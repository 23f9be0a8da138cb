import { z } from 'zod';

/** Every refusal of the HTTP API: a stable code and a message that names the rule. */
export const apiErrorSchema = z.object({
  error: z.string(),
  code: z.string(),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

/** A hive's name: what admins type, so it is short and plain. */
export const hiveNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'name must be 1-63 of [a-z0-9-], starting with a letter or digit',
  );

/** Hive labels, matched by rollout selectors. */
export const labelsSchema = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label keys are 1-63 of [a-z0-9._/-]'),
    z.string().max(256),
  )
  .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels');
