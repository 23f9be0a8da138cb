import { Hono } from 'hono';
import { apiError } from '../http/errors.ts';
import type { RolloutService } from '../rollouts/rollout-service.ts';
import type { Store } from '../store/store.ts';

/** `/api/rollouts`: a fleet-wide install's state and counts, and cancelling what is left of it. */
export function rolloutsRoutes(store: Store, rollouts: RolloutService) {
  const app = new Hono();

  app.get('/api/rollouts', async (c) => c.json({ rollouts: await store.listRollouts(100) }));

  app.get('/api/rollouts/:id', async (c) => {
    const rollout = await rollouts.get(c.req.param('id'));
    if (!rollout) {
      return apiError(c, 404, 'UNKNOWN_ROLLOUT', `no rollout with id "${c.req.param('id')}"`);
    }
    return c.json({ rollout });
  });

  app.post('/api/rollouts/:id/cancel', async (c) => {
    const id = c.req.param('id');
    const result = await rollouts.cancel(id);
    if (!result) return apiError(c, 404, 'UNKNOWN_ROLLOUT', `no rollout with id "${id}"`);
    if (result.ended) {
      return apiError(c, 409, 'ROLLOUT_ENDED', `rollout ${id} has ended (${result.rollout.state})`);
    }
    return c.json({ rollout: result.rollout });
  });

  return app;
}
