import type { Context } from 'hono';
import { Hono } from 'hono';
import { builderKeyRequestSchema, setBuilderRequestSchema } from '../../shared/api/builders.ts';
import { readPublicKey, signedEnvelopeSchema } from '../../shared/catalog/signature.ts';
import { BuildRecordError, readBuilderSet } from '../../shared/repo/build-record.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import { authenticateAgent } from '../routes/agent-socket.ts';
import { findHive } from '../routes/api-hives.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { BUILDER_SET_META, builderList, readSignedSet } from './builder-set.ts';

/** The builder set may name many hives; its body gets more than the default 64 KiB. */
export const MAX_BUILDER_SET_BYTES = 2 * 1024 * 1024;

/**
 * Builder hives: admins mark which hives may fill the package cache
 * (`POST /api/hives/:id/builder`), list their keys (`GET /api/builders`) and store the set
 * they signed with the fleet key (`POST /api/builders/signed`); agents register their own
 * key (`PUT /agent/builder-key`) and fetch the signed set (`GET /agent/builders`).
 */
export function buildersRoutes(store: Store, now: () => number) {
  const app = new Hono();

  const hiveOf = async (c: Context): Promise<HiveRecord | Response> => {
    const auth = await authenticateAgent(store, c.req.header('Authorization'));
    return 'hive' in auth ? auth.hive : apiError(c, auth.status, auth.code, auth.error);
  };

  app.post('/api/hives/:id/builder', async (c) => {
    const body = await readBody(c, setBuilderRequestSchema);
    if (body instanceof Response) return body;
    const hive = await findHive(store, c.req.param('id'));
    if (!hive)
      return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${c.req.param('id')}"`);
    const updated = await store.updateHive(hive.id, (h) => ({ ...h, builder: body.builder }));
    if (!updated) return apiError(c, 404, 'UNKNOWN_HIVE', `hive ${hive.id} was deleted`);
    return c.json({
      id: updated.id,
      name: updated.name,
      builder: updated.builder === true,
      builder_key_id: updated.builder_key?.id ?? null,
    });
  });

  app.get('/api/builders', async (c) => {
    const hives = await store.listHives();
    const signed = await readSignedSet(store);
    return c.json(builderList(hives, signed));
  });

  app.post('/api/builders/signed', async (c) => {
    const envelope = await readBody(c, signedEnvelopeSchema, MAX_BUILDER_SET_BYTES);
    if (envelope instanceof Response) return envelope;
    // The edge has no fleet key: it checks the shape, the agents check the signature.
    let set: ReturnType<typeof readBuilderSet>;
    try {
      set = readBuilderSet(envelope);
    } catch (error) {
      if (error instanceof BuildRecordError)
        return apiError(c, 400, 'BAD_BUILDER_SET', error.message);
      throw error;
    }
    await store.setMeta(BUILDER_SET_META, JSON.stringify(envelope));
    return c.json(
      { key_id: envelope.key_id, signed_at: set.signed_at, builders: set.builders.length },
      201,
    );
  });

  app.get('/agent/builders', async (c) => {
    const hive = await hiveOf(c);
    if (hive instanceof Response) return hive;
    const signed = await readSignedSet(store);
    if (!signed)
      return apiError(
        c,
        404,
        'NO_BUILDER_SET',
        'no builder set has been signed: admins sign one with rbee builders sign --key FLEET.key',
      );
    return c.json(signed);
  });

  // Registered on every connect; while the hive is a builder its key may not change.
  app.put('/agent/builder-key', async (c) => {
    const hive = await hiveOf(c);
    if (hive instanceof Response) return hive;
    const body = await readBody(c, builderKeyRequestSchema);
    if (body instanceof Response) return body;
    let key: Awaited<ReturnType<typeof readPublicKey>>;
    try {
      key = await readPublicKey(body.public_key);
    } catch (error) {
      return apiError(c, 400, 'BAD_KEY', (error as Error).message);
    }
    const old = hive.builder_key;
    if (hive.builder === true && old && old.id !== key.id)
      return apiError(
        c,
        409,
        'BUILDER_KEY_CHANGED',
        `hive ${hive.name} is a builder with key ${old.id}; it now presents key ${key.id}. A builder's key changes only when an admin unmarks and marks it again (POST /api/hives/${hive.id}/builder), then signs the builder set anew`,
      );
    const updated =
      old?.id === key.id
        ? hive
        : await store.updateHive(hive.id, (h) => ({
            ...h,
            builder_key: { id: key.id, pem: body.public_key, registered_at: now() },
          }));
    if (!updated) return apiError(c, 404, 'UNKNOWN_HIVE', `hive ${hive.id} was deleted`);
    return c.json({ hive: updated.id, builder: updated.builder === true, key_id: key.id });
  });

  return app;
}
