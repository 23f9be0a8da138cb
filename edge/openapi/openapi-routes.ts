import { Hono } from 'hono';
import { openApiDocument } from './openapi-document.ts';

/** `GET /api/openapi.json`, open like a catalog page: the API's shape is no secret. */
export function openApiRoutes(version: string) {
  const app = new Hono();
  let document: string | null = null; // built on the first request, then kept
  app.get('/api/openapi.json', (c) => {
    document ??= JSON.stringify(openApiDocument(version));
    return c.body(document, 200, { 'Content-Type': 'application/json' });
  });
  return app;
}
