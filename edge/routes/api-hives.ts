import { Hono } from 'hono';
import { z } from 'zod';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import { enrolHive } from '../hub/enrol-hive.ts';
import { hiveView } from '../hub/hive-view.ts';
import type { Hub } from '../hub/hub.ts';
import type { Store } from '../store/store.ts';

export const hiveNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'name must be 1-63 of [a-z0-9-], starting with a letter or digit',
  );

const createHiveSchema = z
  .object({
    name: hiveNameSchema,
    labels: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label keys are 1-63 of [a-z0-9._/-]'),
        z.string().max(256),
      )
      .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels')
      .optional(),
  })
  .strict();

/** Looks a hive up by id (`hive_…`) or by name. */
export async function findHive(store: Store, ref: string) {
  if (ref.startsWith('hive_'))
    return (await store.getHive(ref)) ?? (await store.getHiveByName(ref));
  return store.getHiveByName(ref);
}

/** `/api/hives`: enrol, list, show and delete hives. */
export function hivesRoutes(store: Store, hub: Hub, now: () => number) {
  const app = new Hono();

  app.post('/api/hives', async (c) => {
    const body = await readBody(c, createHiveSchema);
    if (body instanceof Response) return body;
    const enrolled = await enrolHive(store, body, now());
    if (!enrolled) {
      return apiError(c, 409, 'HIVE_EXISTS', `a hive named "${body.name}" already exists`);
    }
    const { hive, token } = enrolled;
    return c.json({ id: hive.id, name: hive.name, labels: hive.labels, token }, 201);
  });

  app.get('/api/hives', async (c) => {
    const hives = await store.listHives();
    return c.json({ hives: hives.map((h) => hiveView(h, hub.isOnline(h.id))) });
  });

  app.get('/api/hives/:id', async (c) => {
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    return c.json({ ...hiveView(hive, hub.isOnline(hive.id)), ...hub.holderView(hive.id) });
  });

  app.delete('/api/hives/:id', async (c) => {
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    await store.deleteHive(hive.id);
    hub.revoke(hive.id);
    return c.json({ deleted: hive.id });
  });

  return app;
}
