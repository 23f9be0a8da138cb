import { Hono } from 'hono';
import { z } from 'zod';
import { createHiveRequestSchema } from '../../shared/api/hives.ts';
import type { AgentRelease } from '../../shared/protocol/job.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import { enrolHive } from '../hub/enrol-hive.ts';
import { hiveView } from '../hub/hive-view.ts';
import type { Hub } from '../hub/hub.ts';
import type { Store } from '../store/store.ts';

export { hiveNameSchema } from '../../shared/api/common.ts';

/** Looks a hive up by id (`hive_…`) or by name. */
export async function findHive(store: Store, ref: string) {
  if (ref.startsWith('hive_'))
    return (await store.getHive(ref)) ?? (await store.getHiveByName(ref));
  return store.getHiveByName(ref);
}

/** `/api/hives`: enrol, list, show and delete hives. */
export function hivesRoutes(
  store: Store,
  hub: Hub,
  now: () => number,
  agentRelease: () => Promise<AgentRelease | null> = async () => null,
) {
  const app = new Hono();
  const edgeAgent = async () => (await agentRelease().catch(() => null))?.version ?? null;

  app.post('/api/hives', async (c) => {
    const body = await readBody(c, createHiveRequestSchema);
    if (body instanceof Response) return body;
    const enrolled = await enrolHive(store, body, now());
    if (!enrolled) {
      return apiError(c, 409, 'HIVE_EXISTS', `a hive named "${body.name}" already exists`);
    }
    const { hive, token } = enrolled;
    return c.json({ id: hive.id, name: hive.name, labels: hive.labels, token }, 201);
  });

  app.get('/api/hives', async (c) => {
    const [hives, edgeVersion] = await Promise.all([store.listHives(), edgeAgent()]);
    return c.json({ hives: hives.map((h) => hiveView(h, hub.isConnected(h.id), edgeVersion)) });
  });

  app.get('/api/hives/:id', async (c) => {
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    return c.json({
      ...hiveView(hive, hub.isConnected(hive.id), await edgeAgent()),
      ...hub.holderView(hive.id),
    });
  });

  app.delete('/api/hives/:id', async (c) => {
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    await store.deleteHive(hive.id);
    hub.revoke(hive.id);
    return c.json({ deleted: hive.id });
  });

  // A new token for the hive; the old one stops working and every socket on it is cut.
  app.post('/api/hives/:id/rotate-token', async (c) => {
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    const token = newToken('rbh_');
    const hash = await hashToken(token);
    const rotated = await store.updateHive(hive.id, (h) => ({
      ...h,
      token_hash: hash,
      contested_at: null,
    }));
    if (!rotated) return apiError(c, 404, 'UNKNOWN_HIVE', `hive ${hive.id} was deleted`);
    hub.revoke(hive.id, 'the hive token was rotated: reconnect with the new one');
    hub.clearContest(hive.id);
    return c.json({ id: hive.id, name: hive.name, token });
  });

  return app;
}
