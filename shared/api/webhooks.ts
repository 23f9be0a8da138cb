import { z } from 'zod';

/** What a webhook can be told about. `ping` is sent by `POST /api/webhooks/:id/test` only. */
export const webhookEventSchema = z.enum([
  'job.ended',
  'rollout.ended',
  'hive.online',
  'hive.offline',
  'ping',
]);
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/** The events a webhook may subscribe to (`ping` always reaches the one tested). */
export const WEBHOOK_EVENTS = [
  'job.ended',
  'rollout.ended',
  'hive.online',
  'hive.offline',
] as const;

/** The longest receiver URL accepted. */
export const MAX_WEBHOOK_URL = 2048;

/**
 * A receiver URL: http or https only, no user:password part (the signature authenticates the
 * edge; a password in the URL would be shown in every listing).
 */
export const webhookUrlSchema = z
  .string()
  .max(MAX_WEBHOOK_URL, `a webhook url is at most ${MAX_WEBHOOK_URL} characters`)
  .superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `webhook url is not a URL: "${text.slice(0, 80)}"` });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({
        code: 'custom',
        message: `webhook url must be http:// or https://, got ${url.protocol}`,
      });
    } else if (url.username || url.password) {
      ctx.addIssue({
        code: 'custom',
        message: 'webhook url must not carry a user or password (the signature authenticates)',
      });
    }
  });

/** `POST /api/webhooks`. Without `secret` the edge makes one (returned once). */
export const createWebhookRequestSchema = z
  .object({
    url: webhookUrlSchema,
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1, 'name at least one event')
      .max(WEBHOOK_EVENTS.length)
      .refine((e) => new Set(e).size === e.length, 'an event is named twice'),
    secret: z
      .string()
      .min(16, 'a webhook secret is at least 16 characters')
      .max(256, 'a webhook secret is at most 256 characters')
      .optional(),
    description: z.string().max(200).optional(),
  })
  .strict();
export type CreateWebhookRequest = z.infer<typeof createWebhookRequestSchema>;

/** A webhook as listed: never its secret. */
export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(webhookEventSchema),
  description: z.string().nullable(),
  created_at: z.number(),
  created_by: z.string(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** The created webhook; `secret` is shown this once. */
export const createWebhookResponseSchema = z.object({ webhook: webhookSchema, secret: z.string() });
export const webhookResponseSchema = z.object({ webhook: webhookSchema });
export const listWebhooksResponseSchema = z.object({ webhooks: z.array(webhookSchema) });
export const deleteWebhookResponseSchema = z.object({ deleted: z.string() });

/**
 * Where a delivery stands: `pending` (waiting for its first or next attempt), `delivering`
 * (an instance holds its lease), `delivered` (a 2xx answer), `failed` (attempts used up).
 */
export const deliveryStateSchema = z.enum(['pending', 'delivering', 'delivered', 'failed']);
export type DeliveryState = z.infer<typeof deliveryStateSchema>;

/** One attempt: the answer's status (0: none) or why there was none, and how long it took. */
export const deliveryAttemptSchema = z.object({
  at: z.number(),
  status: z.number(),
  error: z.string().nullable(),
  duration_ms: z.number(),
});

/** One event on its way to one webhook. The receiver's answer body is never kept. */
export const deliverySchema = z.object({
  id: z.string(),
  webhook: z.string(),
  event: webhookEventSchema,
  state: deliveryStateSchema,
  created_at: z.number(),
  attempts: z.array(deliveryAttemptSchema),
  /** When the next attempt may start (pending), or until when the lease runs (delivering). */
  next_at: z.number().nullable(),
  delivered_at: z.number().nullable(),
  /** The JSON body sent (signed as it is). */
  body: z.string(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const listDeliveriesResponseSchema = z.object({ deliveries: z.array(deliverySchema) });
export const deliveryResponseSchema = z.object({ delivery: deliverySchema });
export const listDeliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
