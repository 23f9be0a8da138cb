import { z } from 'zod';
import { apiErrorSchema } from '../../shared/api/common.ts';
import { type ApiRoute, apiRoutes } from '../../shared/api/routes.ts';
import { errorStatus } from './error-status.ts';

type JsonSchema = Record<string, unknown>;

/** zod 4's own JSON Schema (draft 2020-12, which OpenAPI 3.1 uses), without the `$schema` key. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const openApiPath = (path: string) => path.replace(/:([a-z]+)/g, '{$1}');

function operation(route: ApiRoute) {
  const params = [...route.path.matchAll(/:([a-z]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query) {
    const q = schemaOf(route.query, 'input') as { properties?: Record<string, JsonSchema> };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      params.push({ name, in: 'query', required: false, schema: schema as { type: string } });
    }
  }
  const content =
    route.response === 'sse'
      ? { 'text/event-stream': { schema: { type: 'string' } } }
      : route.response === 'text'
        ? { 'text/plain': { schema: { type: 'string' } } }
        : { 'application/json': { schema: schemaOf(route.response, 'output') } };
  const responses: Record<string, unknown> = {
    [String(route.status)]: { description: route.summary, content },
  };
  const byStatus = new Map<number, string[]>();
  for (const code of route.errors) {
    const status = errorStatus[code] ?? 500;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    responses[String(status)] = {
      description: `Refused: ${codes.join(', ')}`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
    };
  }
  return {
    summary: route.summary,
    operationId: `${route.method.toLowerCase()}${route.path
      .replace(/^\/api/, '')
      .replace(/[:.]/g, '')
      .split(/[/-]/)
      .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : ''))
      .join('')}`,
    description: route.public
      ? 'Open: no token needed.'
      : `Needs the **${route.role}** role (or higher).${route.action ? ` Recorded in the audit log as \`${route.action}\`.` : ''}`,
    'x-rbee-role': route.public ? null : route.role,
    ...(route.action ? { 'x-rbee-audit-action': route.action } : {}),
    ...(route.public ? { security: [] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The admin API as an OpenAPI 3.1 document, generated from shared/api/routes.ts and its zod
 * schemas (zod 4's toJSONSchema), so it cannot drift from what the edge checks.
 */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of apiRoutes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'rbee fleet admin API',
      version,
      description:
        'The edge admin API. Tokens: the bootstrap admin token (rba_…) or a named token (rbt_…) with a role: viewer reads everything and follows logs, operator also installs, uninstalls and cancels, admin also manages hives and tokens.',
    },
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'rbee_session',
          description: 'A dashboard session; unsafe methods also need X-CSRF-Token',
        },
      },
      schemas: { ApiError: schemaOf(apiErrorSchema, 'output') },
    },
    paths,
  };
}
