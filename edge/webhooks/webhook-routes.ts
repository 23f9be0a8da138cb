import { Hono } from 'hono';
import {
  createWebhookRequestSchema,
  listDeliveriesQuerySchema,
} from '../../shared/api/webhooks.ts';
import { formatIssue } from '../../shared/validation/format-issue.ts';
import { principalOf } from '../auth/roles.ts';
import { randomId } from '../auth/tokens.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import type { DeliveryRecord, WebhookRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { WebhookService } from './webhook-service.ts';

/** A webhook as listed: never its secret. */
export const webhookView = ({ secret: _, ...rest }: WebhookRecord) => rest;
/** A delivery as listed: without the lease bookkeeping. */
export const deliveryView = ({ due_at: _, lease_owner: __, ...rest }: DeliveryRecord) => rest;

/** `/api/webhooks`: receivers of fleet events, their signed deliveries and outcomes (admin). */
export function webhookRoutes(store: Store, webhooks: WebhookService, now: () => number) {
  const app = new Hono();
  const unknown = (c: Parameters<typeof apiError>[0], id: string) =>
    apiError(c, 404, 'UNKNOWN_WEBHOOK', `no webhook with id "${id}"`);

  app.post('/api/webhooks', async (c) => {
    const body = await readBody(c, createWebhookRequestSchema);
    if (body instanceof Response) return body;
    const secret = body.secret ?? `whsec_${randomId(40)}`;
    const record: WebhookRecord = {
      id: `wh_${randomId(16)}`,
      url: body.url,
      events: body.events,
      secret,
      description: body.description ?? null,
      created_at: now(),
      created_by: principalOf(c)?.name ?? 'admin',
    };
    await store.createWebhook(record);
    webhooks.forget();
    return c.json({ webhook: webhookView(record), secret }, 201);
  });

  app.get('/api/webhooks', async (c) =>
    c.json({ webhooks: (await store.listWebhooks()).map(webhookView) }),
  );

  app.get('/api/webhooks/:id', async (c) => {
    const hook = await store.getWebhook(c.req.param('id'));
    return hook ? c.json({ webhook: webhookView(hook) }) : unknown(c, c.req.param('id'));
  });

  app.delete('/api/webhooks/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await store.deleteWebhook(id))) return unknown(c, id);
    webhooks.forget();
    return c.json({ deleted: id });
  });

  app.get('/api/webhooks/:id/deliveries', async (c) => {
    const id = c.req.param('id');
    const query = listDeliveriesQuerySchema.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, 'BAD_REQUEST', formatIssue(query.error, '(query)'));
    if (!(await store.getWebhook(id))) return unknown(c, id);
    const deliveries = await store.listDeliveries(id, query.data.limit ?? 100);
    return c.json({ deliveries: deliveries.map(deliveryView) });
  });

  app.post('/api/webhooks/:id/test', async (c) => {
    const id = c.req.param('id');
    const hook = await store.getWebhook(id);
    if (!hook) return unknown(c, id);
    const [delivery] = await webhooks.emit('ping', { webhook: hook.id }, hook);
    return c.json({ delivery: deliveryView(delivery!) }, 202);
  });

  return app;
}
