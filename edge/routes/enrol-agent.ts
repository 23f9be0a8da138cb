import { Hono } from 'hono';
import { z } from 'zod';
import { platformInfoSchema } from '../../shared/protocol/messages.ts';
import { bearer } from '../auth/tokens.ts';
import { enrolMachine } from '../enrolment/enrol-machine.ts';
import { apiError } from '../http/errors.ts';
import { readBody } from '../http/read-body.ts';
import type { Store } from '../store/store.ts';

/** Machine ids: systemd's 32 hex digits, or anything sane a container or test chooses. */
export const machineIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/, 'machine_id must be 8-128 of [A-Za-z0-9._:-]');

const enrolSchema = z
  .object({
    hostname: z.string().min(1).max(253),
    machine_id: machineIdSchema,
    platform: platformInfoSchema.optional(),
  })
  .strict();

/**
 * `POST /agent/enrol`: an agent with `Authorization: Bearer rbe_…` (an enrolment token) gets
 * its own hive token. Public like `GET /agent`: the enrolment token is the credential. A machine
 * that enrols again gets its hive back with a new token, and `cut` closes every socket still on
 * the old one (live or before its hello), on every instance.
 */
export function enrolAgentRoutes(
  store: Store,
  now: () => number,
  cut: (hive: string, why: string) => void = () => {},
) {
  const app = new Hono();
  app.post('/agent/enrol', async (c) => {
    const token = bearer(c.req.header('Authorization'));
    if (!token?.startsWith('rbe_')) {
      return apiError(
        c,
        401,
        'UNAUTHORIZED',
        'POST /agent/enrol needs an Authorization: Bearer rbe_... header (an enrolment token)',
      );
    }
    const body = await readBody(c, enrolSchema, 16 * 1024);
    if (body instanceof Response) return body;
    const result = await enrolMachine(store, { token, ...body }, now());
    if ('code' in result) return apiError(c, result.status, result.code, result.error);
    const { hive } = result;
    if (result.reenrolled) {
      cut(hive.id, 'this hive was enrolled again: its old token was replaced');
    }
    return c.json(
      {
        hive: { id: hive.id, name: hive.name, labels: hive.labels },
        token: result.token,
        reenrolled: result.reenrolled,
      },
      result.reenrolled ? 200 : 201,
    );
  });
  return app;
}
