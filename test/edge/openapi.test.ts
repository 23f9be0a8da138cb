import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../shared/api/routes.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';

type Edge = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: Edge;
// biome-ignore lint/suspicious/noExplicitAny: the document is walked field by field
let doc: any;

beforeAll(async () => {
  edge = await inProcessEdge();
  const res = await fetch(`${edge.url}/api/openapi.json`); // no token: the document is open
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  doc = await res.json();
}, 60_000);
afterAll(() => edge.close());

const toOpenApi = (path: string) => path.replace(/:([a-z]+)/g, '{$1}');

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('has every /api route the edge registers, and every documented route exists', () => {
    const registered = new Set(
      edge.edge.edge.app.routes
        .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/'))
        .map((r) => `${r.method} ${toOpenApi(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect([...registered].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((d) => !registered.has(d))).toEqual([]);
    expect(documented.size).toBe(apiRoutes.length);
  });

  it('describes bodies, answers, roles and error codes from the zod schemas', () => {
    const install = doc.paths['/api/installs'].post;
    expect(install['x-rbee-role']).toBe('operator');
    expect(install['x-rbee-audit-action']).toBe('worker.install');
    const body = install.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['worker']);
    expect(body.properties.max_concurrency).toMatchObject({ type: 'integer', maximum: 100000 });
    expect(body.additionalProperties).toBe(false);
    expect(install.responses['403'].description).toBe('Refused: FORBIDDEN');
    expect(install.responses['404'].description).toBe(
      'Refused: UNKNOWN_WORKER, UNKNOWN_HIVE, NO_MATCHING_HIVE',
    );
    const job = doc.paths['/api/jobs/{id}'].get;
    expect(job.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    const state =
      job.responses['200'].content['application/json'].schema.properties.job.properties.state;
    expect(state.enum).toContain('delivery_timed_out');
    const list = doc.paths['/api/jobs'].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual(['hive', 'state', 'limit']);
    expect(doc.paths['/api/jobs/{id}/logs'].get.responses['200'].content).toHaveProperty(
      'text/event-stream',
    );
    expect(doc.paths['/api/openapi.json'].get.security).toEqual([]);
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });
});
