import type {
  SignAgentResponse,
  UpgradeAgentsRequest,
  UpgradeAgentsResponse,
} from '../api/agents.ts';
import type { AuditEntry, AuditQuery } from '../api/audit.ts';
import type { ListBuildersResponse } from '../api/builders.ts';
import type {
  CachedPackage,
  CreateEnrolmentTokenRequest,
  EnrolmentToken,
  HiveCatalogWorker,
} from '../api/dashboard-types.ts';
import type { Hive } from '../api/hives.ts';
import type { InstallRequest, InstallResponse, Job, Rollout, WorkerInstalls } from '../api/jobs.ts';
import type { ApiToken, CreateTokenRequest, Role } from '../api/tokens.ts';
import type { CreateWebhookRequest, Delivery, Webhook } from '../api/webhooks.ts';
import type { CatalogEntry } from '../catalog/schema.ts';
import type { SignedEnvelope } from '../catalog/signature.ts';
import type { JobState } from '../protocol/job.ts';
import { ApiError, errorFrom } from './api-error.ts';
import { type FollowOptions, followLogs, type LogEvent } from './follow-logs.ts';
import { type InstallWorkerOptions, installWorker } from './install-worker.ts';

export type ClientOptions = {
  /** The edge's base URL, e.g. `https://edge.example:8787`. */
  edge: string;
  /** An admin, operator or viewer token (`rba_…` or `rbt_…`). */
  token?: string;
  /** Defaults to the platform's fetch; pass one to add a proxy or a test double. */
  fetch?: typeof fetch;
};

export type JobDetail = Job & { log_entries: number; log_bytes: number };

/**
 * The typed admin API client: one method per route of shared/api/routes.ts. Web standards
 * only (fetch, streams), so it runs in browsers, Node and Deno. Every refusal is an ApiError
 * with the edge's status, code and message; an unreachable edge is status 0, `UNREACHABLE`.
 * @example
 * const client = createClient({ edge: 'http://localhost:8787', token });
 * const { job } = await client.install({ hive: 'local', worker: 'rbee-hello-worker' });
 * for await (const e of client.followLogs(job.id)) if (e.type === 'end') console.log(e.state.state);
 */
export function createClient(options: ClientOptions) {
  const edge = options.edge.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const headers = (): Record<string, string> =>
    options.token ? { Authorization: `Bearer ${options.token}` } : {};

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = { method, headers: headers() };
    if (body !== undefined) {
      init.headers = { ...headers(), 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await doFetch(`${edge}${path}`, init);
    } catch (error) {
      const inner = (error as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message;
      const reason = cause ?? (error as Error).message;
      throw new ApiError(0, 'UNREACHABLE', `cannot reach the edge at ${edge}: ${reason}`);
    }
    if (!res.ok) throw await errorFrom(res);
    return res;
  }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await send(method, path, body)).json()) as T;
  const id = encodeURIComponent;
  const query = (params: Record<string, string | number | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const text = q.toString();
    return text ? `?${text}` : '';
  };
  const follow = { edge, headers, fetch: doFetch };

  const client = {
    edge,
    whoami: () => call<{ name: string; role: Role }>('GET', '/api/whoami'),
    health: () => call<{ status: string; version: string; hives_online: number }>('GET', '/health'),

    listHives: async () => (await call<{ hives: Hive[] }>('GET', '/api/hives')).hives,
    getHive: (ref: string) => call<Hive>('GET', `/api/hives/${id(ref)}`),
    createHive: (body: { name: string; labels?: Record<string, string> }) =>
      call<{ id: string; name: string; labels: Record<string, string>; token: string }>(
        'POST',
        '/api/hives',
        body,
      ),
    deleteHive: (ref: string) => call<{ deleted: string }>('DELETE', `/api/hives/${id(ref)}`),
    /** Marks a hive a builder (it may upload to the package cache), or not. */
    setBuilder: (ref: string, builder: boolean) =>
      call<{ id: string; name: string; builder: boolean; builder_key_id: string | null }>(
        'POST',
        `/api/hives/${id(ref)}/builder`,
        { builder },
      ),
    /** Builder hives with their registered keys, and the set the admins last signed. */
    listBuilders: () => call<ListBuildersResponse>('GET', '/api/builders'),
    /** Stores the builder set signed with the fleet key (see `rbee builders sign`). */
    putBuilderSet: (envelope: SignedEnvelope) =>
      call<{ key_id: string; signed_at: number; builders: number }>(
        'POST',
        '/api/builders/signed',
        envelope,
      ),
    /** A new token for the hive; the old one stops working and its socket is cut. */
    rotateHiveToken: (ref: string) =>
      call<{ id: string; name: string; token: string }>(
        'POST',
        `/api/hives/${id(ref)}/rotate-token`,
      ),

    /** Which hives have a worker, by version. */
    workerInstalls: (worker: string) =>
      call<WorkerInstalls>('GET', `/api/workers/${id(worker)}/installs`),
    install: (body: InstallRequest) => call<InstallResponse>('POST', '/api/installs', body),
    uninstall: (hive: string, body: { worker: string; timeout_ms?: number }) =>
      call<{ job: Job }>('POST', `/api/hives/${id(hive)}/uninstall`, body),

    listJobs: async (filter: { hive?: string; state?: JobState; limit?: number } = {}) =>
      (await call<{ jobs: Job[] }>('GET', `/api/jobs${query(filter)}`)).jobs,
    getJob: async (job: string) =>
      (await call<{ job: JobDetail }>('GET', `/api/jobs/${id(job)}`)).job,
    cancelJob: async (job: string) =>
      (await call<{ job: Job }>('POST', `/api/jobs/${id(job)}/cancel`)).job,
    /** The whole stored log as plain text. */
    logText: async (job: string) => (await send('GET', `/api/jobs/${id(job)}/logs.txt`)).text(),
    /** Follows a job's log until it ends, resuming after dropped connections. */
    followLogs: (job: string, opts: FollowOptions = {}): AsyncGenerator<LogEvent> =>
      followLogs(follow, job, opts),

    listRollouts: async () =>
      (await call<{ rollouts: Rollout[] }>('GET', '/api/rollouts')).rollouts,
    getRollout: async (rollout: string) =>
      (await call<{ rollout: Rollout }>('GET', `/api/rollouts/${id(rollout)}`)).rollout,
    cancelRollout: async (rollout: string) =>
      (await call<{ rollout: Rollout }>('POST', `/api/rollouts/${id(rollout)}/cancel`)).rollout,
    /** Moves hives' agents to the edge's: a rollout of `upgrade` jobs (admin). */
    upgradeAgents: (body: UpgradeAgentsRequest) =>
      call<UpgradeAgentsResponse>('POST', '/api/agents/upgrade', body),
    /** Stores the fleet key's signature over an agent file (see `rbee agents sign`). */
    signAgent: (envelope: SignedEnvelope) =>
      call<SignAgentResponse>('POST', '/api/agents/signed', envelope),

    createToken: (body: CreateTokenRequest) =>
      call<{ token: string; info: ApiToken }>('POST', '/api/tokens', body),
    listTokens: async () => (await call<{ tokens: ApiToken[] }>('GET', '/api/tokens')).tokens,
    revokeToken: (name: string) => call<{ revoked: string }>('DELETE', `/api/tokens/${id(name)}`),

    /** The signed catalog (`GET /workers`, public). */
    listWorkers: async () => (await call<{ workers: CatalogEntry[] }>('GET', '/workers')).workers,
    /** The catalog as one hive sees it; `all` adds what it cannot run, with the reasons. */
    hiveCatalog: async (hive: string, all = false) =>
      (
        await call<{ workers: HiveCatalogWorker[] }>(
          'GET',
          `/api/hives/${id(hive)}/catalog${all ? '?all=1' : ''}`,
        )
      ).workers,
    /** The agent file this edge serves (`GET /agent/version`, public). */
    agentVersion: () =>
      call<{ version: string; sha256: string; size: number }>('GET', '/agent/version'),

    createEnrolmentToken: (body: CreateEnrolmentTokenRequest) =>
      call<EnrolmentToken & { token: string }>('POST', '/api/enrolment-tokens', body),
    listEnrolmentTokens: async () =>
      (await call<{ tokens: EnrolmentToken[] }>('GET', '/api/enrolment-tokens')).tokens,
    revokeEnrolmentToken: (token: string) =>
      call<{ revoked: string }>('DELETE', `/api/enrolment-tokens/${id(token)}`),

    /** The package cache, newest first. */
    listPackages: async (filter: { worker?: string } = {}) =>
      (await call<{ packages: CachedPackage[] }>('GET', `/api/packages${query(filter)}`)).packages,

    audit: async (filter: AuditQuery = {}) =>
      (await call<{ entries: AuditEntry[] }>('GET', `/api/audit${query(filter)}`)).entries,

    createWebhook: (body: CreateWebhookRequest) =>
      call<{ webhook: Webhook; secret: string }>('POST', '/api/webhooks', body),
    listWebhooks: async () =>
      (await call<{ webhooks: Webhook[] }>('GET', '/api/webhooks')).webhooks,
    getWebhook: async (hook: string) =>
      (await call<{ webhook: Webhook }>('GET', `/api/webhooks/${id(hook)}`)).webhook,
    deleteWebhook: (hook: string) =>
      call<{ deleted: string }>('DELETE', `/api/webhooks/${id(hook)}`),
    /** A webhook's deliveries, newest first, each with its attempts. */
    listDeliveries: async (hook: string, opts: { limit?: number } = {}) =>
      (
        await call<{ deliveries: Delivery[] }>(
          'GET',
          `/api/webhooks/${id(hook)}/deliveries${query(opts)}`,
        )
      ).deliveries,
    /** Queues a signed `ping` to the webhook. */
    testWebhook: async (hook: string) =>
      (await call<{ delivery: Delivery }>('POST', `/api/webhooks/${id(hook)}/test`)).delivery,

    /** Submits an install on one hive and follows it to its end (the seed SDK's install_worker). */
    installWorker: (hive: string, worker: string, opts: InstallWorkerOptions = {}) =>
      installWorker(client, hive, worker, opts),
  };
  return client;
}

export type Client = ReturnType<typeof createClient>;
