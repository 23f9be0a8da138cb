import { z } from 'zod';
import { signedEnvelopeSchema } from '../catalog/signature.ts';
import {
  signAgentResponseSchema,
  upgradeAgentsRequestSchema,
  upgradeAgentsResponseSchema,
} from './agents.ts';
import { auditQuerySchema, listAuditResponseSchema } from './audit.ts';
import {
  listBuildersResponseSchema,
  putBuilderSetResponseSchema,
  setBuilderRequestSchema,
  setBuilderResponseSchema,
} from './builders.ts';
import {
  createEnrolmentTokenRequestSchema,
  createEnrolmentTokenResponseSchema,
  listEnrolmentTokensResponseSchema,
  listPackagesResponseSchema,
} from './enrolment.ts';
import {
  createHiveRequestSchema,
  createHiveResponseSchema,
  deleteHiveResponseSchema,
  hiveCatalogResponseSchema,
  hiveSchema,
  hiveWorkersResponseSchema,
  listHivesResponseSchema,
} from './hives.ts';
import {
  installRequestSchema,
  installResponseSchema,
  jobDetailResponseSchema,
  jobResponseSchema,
  listJobsQuerySchema,
  listJobsResponseSchema,
  listRolloutsResponseSchema,
  rolloutResponseSchema,
  uninstallRequestSchema,
  workerInstallsResponseSchema,
} from './jobs.ts';
import {
  createTokenRequestSchema,
  createTokenResponseSchema,
  listTokensResponseSchema,
  type Role,
  revokeTokenResponseSchema,
  whoamiResponseSchema,
} from './tokens.ts';
import {
  createWebhookRequestSchema,
  createWebhookResponseSchema,
  deleteWebhookResponseSchema,
  deliveryResponseSchema,
  listDeliveriesQuerySchema,
  listDeliveriesResponseSchema,
  listWebhooksResponseSchema,
  webhookResponseSchema,
} from './webhooks.ts';

/** How an answer is carried: JSON (the schema), an SSE stream or plain text. */
export type ApiBody = z.ZodType | 'sse' | 'text';

/**
 * One admin API route: its path as Hono writes it, the least role that may call it, the audit
 * action it records (mutating routes), its request and answer schemas and its error codes.
 * The edge checks roles and records audits from this table, the OpenAPI document is generated
 * from it, and the typed client is written against it.
 */
export type ApiRoute = {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  role: Role;
  /** Served without a token (the route is mounted before the role check). */
  public?: true;
  /** Recorded in the audit log when the call succeeds; only routes that change something. */
  action?: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  status: number;
  response: ApiBody;
  errors: string[];
};

const AUTH = ['UNAUTHORIZED', 'FORBIDDEN'];

/** Every `/api` route of the edge. */
export const apiRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/api/openapi.json',
    role: 'viewer',
    public: true,
    summary:
      'This API described as OpenAPI 3.1, generated from the same zod schemas the edge checks',
    status: 200,
    response: z.record(z.string(), z.unknown()),
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/whoami',
    role: 'viewer',
    summary: 'The calling token: its name and role',
    status: 200,
    response: whoamiResponseSchema,
    errors: AUTH,
  },
  {
    method: 'GET',
    path: '/api/metrics',
    role: 'viewer',
    summary: 'Counters of the agent hub as JSON (Prometheus text is at /metrics)',
    status: 200,
    response: z.record(z.string(), z.unknown()),
    errors: AUTH,
  },
  {
    method: 'POST',
    path: '/api/hives',
    role: 'admin',
    action: 'hive.create',
    summary: 'Enrol a hive; its token is in the answer, once',
    body: createHiveRequestSchema,
    status: 201,
    response: createHiveResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST', 'BODY_TOO_LARGE', 'HIVE_EXISTS'],
  },
  {
    method: 'GET',
    path: '/api/hives',
    role: 'viewer',
    summary: 'Every hive, online or not',
    status: 200,
    response: listHivesResponseSchema,
    errors: AUTH,
  },
  {
    method: 'GET',
    path: '/api/hives/:id',
    role: 'viewer',
    summary: 'One hive by id or name',
    status: 200,
    response: hiveSchema,
    errors: [...AUTH, 'UNKNOWN_HIVE'],
  },
  {
    method: 'DELETE',
    path: '/api/hives/:id',
    role: 'admin',
    action: 'hive.delete',
    summary: 'Remove a hive and revoke its token (its socket is closed)',
    status: 200,
    response: deleteHiveResponseSchema,
    errors: [...AUTH, 'UNKNOWN_HIVE'],
  },
  {
    method: 'GET',
    path: '/api/hives/:id/workers',
    role: 'viewer',
    summary: 'The workers a hive reported as installed',
    status: 200,
    response: hiveWorkersResponseSchema,
    errors: [...AUTH, 'UNKNOWN_HIVE'],
  },
  {
    method: 'GET',
    path: '/api/hives/:id/catalog',
    role: 'viewer',
    summary: 'The catalog as one hive sees it (?all=1 adds what it cannot run, with why)',
    status: 200,
    response: hiveCatalogResponseSchema,
    errors: [...AUTH, 'UNKNOWN_HIVE'],
  },
  {
    method: 'POST',
    path: '/api/hives/:id/uninstall',
    role: 'operator',
    action: 'worker.uninstall',
    summary: 'Uninstall a worker from a hive (a job)',
    body: uninstallRequestSchema,
    status: 201,
    response: jobResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST', 'UNKNOWN_HIVE', 'NOT_INSTALLED'],
  },
  {
    method: 'POST',
    path: '/api/installs',
    role: 'operator',
    action: 'worker.install',
    summary:
      'Install a worker on one hive (a job) or many (a rollout); a hive with this version and pkgrel succeeds at once (already_installed) unless force',
    body: installRequestSchema,
    status: 201,
    response: installResponseSchema,
    errors: [
      ...AUTH,
      'BAD_JSON',
      'BAD_REQUEST',
      'BODY_TOO_LARGE',
      'UNKNOWN_WORKER',
      'UNKNOWN_HIVE',
      'NO_MATCHING_HIVE',
    ],
  },
  {
    method: 'GET',
    path: '/api/workers/:id/installs',
    role: 'viewer',
    summary: 'The hives that have a worker, by version, and the version an install gives now',
    status: 200,
    response: workerInstallsResponseSchema,
    errors: [...AUTH, 'UNKNOWN_WORKER'],
  },
  {
    method: 'GET',
    path: '/api/jobs',
    role: 'viewer',
    summary: 'Jobs, newest first',
    query: listJobsQuerySchema,
    status: 200,
    response: listJobsResponseSchema,
    errors: [...AUTH, 'BAD_REQUEST'],
  },
  {
    method: 'GET',
    path: '/api/jobs/:id',
    role: 'viewer',
    summary: 'One job, with where its log stands',
    status: 200,
    response: jobDetailResponseSchema,
    errors: [...AUTH, 'UNKNOWN_JOB'],
  },
  {
    method: 'POST',
    path: '/api/jobs/:id/cancel',
    role: 'operator',
    action: 'job.cancel',
    summary: 'Cancel a job',
    status: 202,
    response: jobResponseSchema,
    errors: [...AUTH, 'UNKNOWN_JOB', 'JOB_FINISHED'],
  },
  {
    method: 'GET',
    path: '/api/jobs/:id/logs',
    role: 'viewer',
    summary:
      'The job log as Server-Sent Events (logs, step, state, end); resumes from Last-Event-ID or ?from',
    status: 200,
    response: 'sse',
    errors: [...AUTH, 'UNKNOWN_JOB', 'BAD_REQUEST'],
  },
  {
    method: 'GET',
    path: '/api/jobs/:id/logs.txt',
    role: 'viewer',
    summary: 'The whole stored log as plain text',
    status: 200,
    response: 'text',
    errors: [...AUTH, 'UNKNOWN_JOB'],
  },
  {
    method: 'GET',
    path: '/api/rollouts',
    role: 'viewer',
    summary: 'Rollouts, newest first',
    status: 200,
    response: listRolloutsResponseSchema,
    errors: AUTH,
  },
  {
    method: 'GET',
    path: '/api/rollouts/:id',
    role: 'viewer',
    summary: 'One rollout and its counts',
    status: 200,
    response: rolloutResponseSchema,
    errors: [...AUTH, 'UNKNOWN_ROLLOUT'],
  },
  {
    method: 'POST',
    path: '/api/rollouts/:id/cancel',
    role: 'operator',
    action: 'rollout.cancel',
    summary: 'Cancel the jobs of a rollout still waiting or queued',
    status: 200,
    response: rolloutResponseSchema,
    errors: [...AUTH, 'UNKNOWN_ROLLOUT', 'ROLLOUT_ENDED'],
  },
  {
    method: 'POST',
    path: '/api/agents/upgrade',
    role: 'admin',
    action: 'agent.upgrade',
    summary:
      "Upgrade hives' agents to the one this edge serves: a rollout of upgrade jobs (hives at that version, or whose agent cannot replace itself, are skipped)",
    body: upgradeAgentsRequestSchema,
    status: 201,
    response: upgradeAgentsResponseSchema,
    errors: [
      ...AUTH,
      'BAD_JSON',
      'BAD_REQUEST',
      'BODY_TOO_LARGE',
      'NO_AGENT_BUNDLE',
      'UNKNOWN_HIVE',
      'NO_MATCHING_HIVE',
      'NOTHING_TO_UPGRADE',
    ],
  },
  {
    method: 'POST',
    path: '/api/agents/signed',
    role: 'admin',
    action: 'agent.sign',
    summary:
      "Store the fleet key's signature over an agent file (rbee agents sign); upgrade jobs carry it, and agents that trust the key take only a file it signed",
    body: signedEnvelopeSchema,
    status: 201,
    response: signAgentResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST', 'BAD_AGENT_SIGNATURE', 'BODY_TOO_LARGE'],
  },
  {
    method: 'POST',
    path: '/api/tokens',
    role: 'admin',
    action: 'token.create',
    summary: 'Create a named API token with a role; the token is in the answer, once',
    body: createTokenRequestSchema,
    status: 201,
    response: createTokenResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST', 'TOKEN_EXISTS'],
  },
  {
    method: 'GET',
    path: '/api/tokens',
    role: 'admin',
    summary: 'Named API tokens (never their secrets)',
    status: 200,
    response: listTokensResponseSchema,
    errors: AUTH,
  },
  {
    method: 'DELETE',
    path: '/api/tokens/:name',
    role: 'admin',
    action: 'token.revoke',
    summary: 'Revoke a named API token',
    status: 200,
    response: revokeTokenResponseSchema,
    errors: [...AUTH, 'UNKNOWN_TOKEN'],
  },
  {
    method: 'GET',
    path: '/api/audit',
    role: 'viewer',
    summary: 'The audit log, newest first (?since=ms&actor=&action=&limit=)',
    query: auditQuerySchema,
    status: 200,
    response: listAuditResponseSchema,
    errors: [...AUTH, 'BAD_REQUEST'],
  },
  {
    method: 'POST',
    path: '/api/sessions/revoke-all',
    role: 'admin',
    action: 'sessions.revoke_all',
    summary: 'End every dashboard session at once (sign out everywhere)',
    status: 200,
    response: z.object({ revoked: z.literal(true) }),
    errors: [...AUTH],
  },
  {
    method: 'POST',
    path: '/api/hives/:id/rotate-token',
    role: 'admin',
    action: 'hive.rotate_token',
    summary: 'Give a hive a new token; the old one stops working and its socket is closed',
    status: 200,
    response: z.object({ id: z.string(), name: z.string(), token: z.string() }),
    errors: [...AUTH, 'UNKNOWN_HIVE'],
  },
  {
    method: 'POST',
    path: '/api/enrolment-tokens',
    role: 'admin',
    action: 'enrolment_token.create',
    summary:
      'Issue an enrolment token (agents enrol themselves with it); the token is in the answer, once',
    body: createEnrolmentTokenRequestSchema,
    status: 201,
    response: createEnrolmentTokenResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST'],
  },
  {
    method: 'GET',
    path: '/api/enrolment-tokens',
    role: 'admin',
    summary: 'Enrolment tokens with their uses left (never their secrets)',
    status: 200,
    response: listEnrolmentTokensResponseSchema,
    errors: AUTH,
  },
  {
    method: 'DELETE',
    path: '/api/enrolment-tokens/:id',
    role: 'admin',
    action: 'enrolment_token.revoke',
    summary: 'Revoke an enrolment token',
    status: 200,
    response: z.object({ revoked: z.string() }),
    errors: [...AUTH, 'UNKNOWN_ENROLMENT_TOKEN'],
  },
  {
    method: 'GET',
    path: '/api/packages',
    role: 'viewer',
    summary: 'The package cache: built packages by cache key, newest first (?worker=)',
    status: 200,
    response: listPackagesResponseSchema,
    errors: AUTH,
  },
  {
    method: 'DELETE',
    path: '/api/packages/:key',
    role: 'admin',
    action: 'package.delete',
    summary: 'Remove a cached package and the blobs only it used',
    status: 200,
    response: z.object({ deleted: z.string() }),
    errors: [...AUTH, 'BAD_KEY', 'NO_PACKAGE'],
  },
  {
    method: 'POST',
    path: '/api/hives/:id/builder',
    role: 'admin',
    action: 'hive.builder',
    summary:
      'Mark a hive a builder (it may upload to the package cache) or not; sign the builder set after',
    body: setBuilderRequestSchema,
    status: 200,
    response: setBuilderResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST', 'UNKNOWN_HIVE'],
  },
  {
    method: 'GET',
    path: '/api/builders',
    role: 'viewer',
    summary: 'Builder hives with the keys their agents registered, and the set the admins signed',
    status: 200,
    response: listBuildersResponseSchema,
    errors: AUTH,
  },
  {
    method: 'POST',
    path: '/api/builders/signed',
    role: 'admin',
    action: 'builders.sign',
    summary:
      'Store the builder set signed with the fleet key (rbee builders sign); agents install only what its builders signed',
    body: signedEnvelopeSchema,
    status: 201,
    response: putBuilderSetResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST', 'BAD_BUILDER_SET', 'BODY_TOO_LARGE'],
  },
  {
    method: 'POST',
    path: '/api/webhooks',
    role: 'admin',
    action: 'webhook.create',
    summary:
      'Add a webhook: signed POSTs of the events named (job.ended, rollout.ended, hive.online, hive.offline); the secret is in the answer, once',
    body: createWebhookRequestSchema,
    status: 201,
    response: createWebhookResponseSchema,
    errors: [...AUTH, 'BAD_JSON', 'BAD_REQUEST', 'BODY_TOO_LARGE'],
  },
  {
    method: 'GET',
    path: '/api/webhooks',
    role: 'admin',
    summary: 'Webhooks (never their secrets)',
    status: 200,
    response: listWebhooksResponseSchema,
    errors: AUTH,
  },
  {
    method: 'GET',
    path: '/api/webhooks/:id',
    role: 'admin',
    summary: 'One webhook',
    status: 200,
    response: webhookResponseSchema,
    errors: [...AUTH, 'UNKNOWN_WEBHOOK'],
  },
  {
    method: 'DELETE',
    path: '/api/webhooks/:id',
    role: 'admin',
    action: 'webhook.delete',
    summary: 'Remove a webhook and its deliveries (pending ones are not sent)',
    status: 200,
    response: deleteWebhookResponseSchema,
    errors: [...AUTH, 'UNKNOWN_WEBHOOK'],
  },
  {
    method: 'GET',
    path: '/api/webhooks/:id/deliveries',
    role: 'admin',
    summary: "A webhook's deliveries, newest first, each with its attempts and outcome (?limit=)",
    query: listDeliveriesQuerySchema,
    status: 200,
    response: listDeliveriesResponseSchema,
    errors: [...AUTH, 'BAD_REQUEST', 'UNKNOWN_WEBHOOK'],
  },
  {
    method: 'POST',
    path: '/api/webhooks/:id/test',
    role: 'admin',
    action: 'webhook.test',
    summary: 'Queue a signed `ping` delivery to the webhook',
    status: 202,
    response: deliveryResponseSchema,
    errors: [...AUTH, 'UNKNOWN_WEBHOOK'],
  },
];

/** A route's path as a pattern: `:id` matches one path segment. */
export function routePattern(path: string): RegExp {
  const escaped = path.replace(/[.]/g, '\\.').replace(/:[a-z]+/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

/**
 * The route a request is for, or undefined. Literal segments win over parameters, so
 * `/api/jobs/:id/logs.txt` is not taken for `/api/jobs/:id/logs`.
 * @example findRoute('POST', '/api/jobs/job_1/cancel')?.role // 'operator'
 */
export function findRoute(method: string, path: string): ApiRoute | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return compiled.find((r) => r.route.method === m && r.pattern.test(path))?.route;
}

const compiled = apiRoutes.map((route) => ({ route, pattern: routePattern(route.path) }));
