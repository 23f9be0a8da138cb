import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { UpgradeWebSocket } from 'hono/ws';
import { auditLog, auditRoutes } from './audit/audit-log.ts';
import { apiTokensRoutes } from './auth/api-tokens.ts';
import { FailureLimit } from './auth/failure-limit.ts';
import { requireRole } from './auth/roles.ts';
import { SessionSweep } from './auth/session-sweep.ts';
import { Sessions } from './auth/sessions.ts';
import { Cluster } from './bus/cluster.ts';
import type { BusTransport } from './bus/transport.ts';
import type { Catalog } from './catalog/catalog.ts';
import { LiveFeed } from './dashboard/live-feed.ts';
import { fleetReader, liveRoutes, wakeOnChange } from './dashboard/live-routes.ts';
import { dashboardRoutes } from './dashboard/routes.tsx';
import { bodyLimits } from './http/body-limits.ts';
import { apiError } from './http/errors.ts';
import { Hub } from './hub/hub.ts';
import { JobService } from './jobs/job-service.ts';
import { Retention } from './jobs/retention.ts';
import { LogBus } from './logs/log-bus.ts';
import { metricsRoutes } from './metrics/metrics-routes.ts';
import { openApiRoutes } from './openapi/openapi-routes.ts';
import { defaultEdgeOptions, type EdgeOptions } from './options.ts';
import { type BlobStore, StoreBlobStore } from './packages/blob-store.ts';
import { buildersRoutes } from './packages/builders-routes.ts';
import { RolloutService } from './rollouts/rollout-service.ts';
import { type AgentFiles, agentFilesRoutes } from './routes/agent-files.ts';
import { agentSocketRoutes } from './routes/agent-socket.ts';
import { agentsRoutes } from './routes/api-agents.ts';
import { hiveWorkersRoutes } from './routes/api-hive-workers.ts';
import { hivesRoutes } from './routes/api-hives.ts';
import { jobsRoutes } from './routes/api-jobs.ts';
import { rolloutsRoutes } from './routes/api-rollouts.ts';
import { cliFilesRoutes } from './routes/cli-files.ts';
import { enrolAgentRoutes } from './routes/enrol-agent.ts';
import { enrolmentTokensRoutes } from './routes/enrolment-tokens.ts';
import { jobLogsRoutes } from './routes/job-logs.ts';
import { packagesRoutes } from './routes/packages.ts';
import { workerInstallsRoutes } from './routes/worker-installs.ts';
import { workersRoutes } from './routes/workers.ts';
import type { Store } from './store/store.ts';
import { isStoreUnavailable } from './store/store-unavailable.ts';
import { wireWebhookEvents } from './webhooks/webhook-events.ts';
import { webhookRoutes } from './webhooks/webhook-routes.ts';
import { WebhookService } from './webhooks/webhook-service.ts';

/** What the edge needs from its runtime; adapters build these and nothing else. */
export type EdgeDeps = {
  catalog: Catalog;
  store: Store;
  /**
   * The runtime's WebSocket upgrade for `GET /agent` (`hono/deno` on Deno). Node's adapter
   * takes the upgrade itself before Hono (edge/node/agent-upgrade.ts) and leaves this out.
   */
  upgradeWebSocket?: UpgradeWebSocket;
  options?: Partial<EdgeOptions>;
  /** One of many instances: the bus engine between them and this one's name (edge/bus). */
  cluster?: { transport: BusTransport; instanceId: string };
  /** Milliseconds since the epoch; injectable so tests control time. */
  now?: () => number;
  version?: string;
  /** The agent bundle and install.sh, read by the runtime adapter (absent: those routes 404). */
  agentFiles?: AgentFiles;
  /** Where package files go (default: chunks in the store, which every instance reaches). */
  blobs?: BlobStore;
};

export type Edge = {
  app: Hono;
  /** Job and log retention (edge/jobs/retention.ts); `run()` starts a pass now. */
  retention: Retention;
  /** The expired-session sweep (edge/auth/session-sweep.ts); `run()` sweeps now. */
  sessionSweep: SessionSweep;
  hub: Hub;
  jobs: JobService;
  options: EdgeOptions;
  /** Stops timers, closes every agent socket and writes what is pending (not the store). */
  close(): Promise<void>;
};

/**
 * Builds the edge from its dependencies. Speaks only Request, Response and the socket contract.
 * @example const edge = createEdge({ catalog, store, upgradeWebSocket }); serve(edge.app.fetch);
 */
export function createEdge(deps: EdgeDeps): Edge {
  const now = deps.now ?? Date.now;
  const options = { ...defaultEdgeOptions, ...deps.options };
  const started = now();
  const cluster = deps.cluster
    ? new Cluster(deps.store, { ...deps.cluster, heartbeatMs: options.heartbeatMs }, now)
    : null;
  const bus = cluster?.bus ?? new LogBus();
  const jobs = new JobService(deps.store, bus, options, now);
  const agentRelease = async () => (await deps.agentFiles?.bundle()) ?? null;
  const hub = new Hub({ store: deps.store, jobs, bus, options, now, agentRelease });
  jobs.attach(hub);
  jobs.statementOf = (worker) => deps.catalog.get(worker)?.statement?.digest;
  cluster?.attach(hub);

  const app = new Hono();
  app.use('*', bodyLimits());
  app.use('/workers/*', cors());
  app.use('/workers', cors());
  app.use('/health', cors());
  app.get('/health', (c) =>
    c.json({
      status: 'ok',
      version: deps.version ?? '0.1.0',
      uptime_ms: now() - started,
      workers: deps.catalog.entries().length,
      hives_online: hub.onlineCount(),
      ...(cluster ? { instance_id: cluster.instanceId } : {}),
    }),
  );
  app.route('/', workersRoutes(deps.catalog, deps.store));
  app.route('/', agentSocketRoutes(deps.store, hub, deps.upgradeWebSocket));
  app.route('/', agentFilesRoutes(deps.store, deps.agentFiles));
  app.route('/', cliFilesRoutes(deps.agentFiles));
  app.route('/', enrolAgentRoutes(deps.store, now));
  const sessions = new Sessions(deps.store, now);
  app.route(
    '/',
    dashboardRoutes(deps.store, sessions, new FailureLimit(options.signInFailuresPerMinute, now)),
  );
  const webhooks = new WebhookService(deps.store, options, now);
  const feed = new LiveFeed(bus, fleetReader(deps.store, hub), { pollMs: options.dashboardPollMs });
  app.route('/', liveRoutes(sessions, feed, options.dashboardPollMs));
  app.route(
    '/',
    metricsRoutes({
      store: deps.store,
      hub,
      jobs,
      metricsToken: options.metricsToken,
      now,
      webhooks,
    }),
  );
  app.route('/', openApiRoutes(deps.version ?? '0.1.0'));
  app.use('/api/*', auditLog(deps.store, now));
  app.use('/api/*', wakeOnChange(bus));
  app.use('/api/*', requireRole(deps.store, sessions, now));
  // Sign-out everywhere: every dashboard session ends (admin tokens are not sessions).
  app.post('/api/sessions/revoke-all', async (c) => {
    await sessions.revokeAll();
    return c.json({ revoked: true });
  });
  app.get('/api/metrics', (c) =>
    c.json({
      hives_online: hub.onlineCount(),
      connections_opened: hub.metrics.connections,
      messages_received: hub.metrics.received,
      messages_sent: hub.metrics.sent,
      refused: hub.metrics.refused,
      log_entries_stored: hub.metrics.logEntriesStored,
    }),
  );
  app.route('/', hivesRoutes(deps.store, hub, now, agentRelease));
  app.route('/', enrolmentTokensRoutes(deps.store, now));
  const rollouts = new RolloutService(deps.store, jobs);
  app.route('/', jobsRoutes(deps.store, jobs, deps.catalog, rollouts));
  app.route('/', rolloutsRoutes(deps.store, rollouts));
  app.route('/', agentsRoutes(deps.store, rollouts, agentRelease));
  app.route('/', hiveWorkersRoutes(deps.store, jobs, deps.catalog));
  app.route('/', workerInstallsRoutes(deps.store, deps.catalog));
  app.route('/', jobLogsRoutes(deps.store, bus));
  const blobs = deps.blobs ?? new StoreBlobStore(deps.store);
  app.route('/', packagesRoutes(deps.store, blobs, options, now));
  app.route('/', buildersRoutes(deps.store, now));
  app.route('/', apiTokensRoutes(deps.store, now));
  app.route('/', auditRoutes(deps.store));
  wireWebhookEvents({ store: deps.store, jobs, rollouts, hub, webhooks, now });
  app.route('/', webhookRoutes(deps.store, webhooks, now));
  webhooks.start();
  const retention = new Retention(deps.store, options, now);
  retention.start();
  const sessionSweep = new SessionSweep(deps.store, options.sessionSweepIntervalMs, now);
  sessionSweep.start();

  app.notFound((c) => apiError(c, 404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (isStoreUnavailable(error)) return apiError(c, 503, 'STORE_UNAVAILABLE', error.message);
    console.error(error);
    return apiError(c, 500, 'INTERNAL', `Internal error: ${error.message}`);
  });

  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return; // a slow sweep is not stacked on itself
    sweeping = true;
    jobs
      .sweepDeadlines()
      .catch((error) => console.error('deadline sweep failed:', error))
      .finally(() => {
        sweeping = false;
      });
  }, options.sweepIntervalMs);
  (sweeper as { unref?: () => void }).unref?.();

  return {
    app,
    retention,
    sessionSweep,
    hub,
    jobs,
    options,
    async close() {
      clearInterval(sweeper);
      await webhooks.close();
      await retention.close();
      await sessionSweep.close();
      hub.close();
      await jobs.flushAccepts();
      await cluster?.close();
    },
  };
}
