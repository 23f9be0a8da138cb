import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Catalog } from './catalog/catalog.ts';
import { apiError } from './http/errors.ts';
import { workersRoutes } from './routes/workers.ts';

/** What the edge needs from its runtime; adapters build these and nothing else. */
export type EdgeDeps = {
  catalog: Catalog;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now?: () => number;
  version?: string;
};

/**
 * Builds the edge's Hono app from its dependencies. Speaks only Request and Response.
 * @example const app = createApp({ catalog }); const res = await app.request('/workers');
 */
export function createApp(deps: EdgeDeps) {
  const now = deps.now ?? Date.now;
  const started = now();
  const app = new Hono();

  app.use('*', cors());
  app.get('/health', (c) =>
    c.json({
      status: 'ok',
      version: deps.version ?? '0.1.0',
      uptime_ms: now() - started,
      workers: deps.catalog.entries().length,
    }),
  );
  app.route('/', workersRoutes(deps.catalog));

  app.notFound((c) => apiError(c, 404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    console.error(error);
    return apiError(c, 500, 'INTERNAL', `Internal error: ${error.message}`);
  });
  return app;
}
