/** Every limit of the edge is an option with a default (README lists them). */
export type EdgeOptions = {
  /** Heartbeat interval sent to agents in `welcome`; a peer silent for two intervals is dropped. */
  heartbeatMs: number;
  /** Largest WebSocket frame accepted from an agent, in bytes. */
  maxFrameBytes: number;
  /** How long a job waits for its hive before it becomes delivery_timed_out. */
  deliveryTimeoutMs: number;
  /** Largest stored log per job, in bytes; past it the frame is refused (LOG_TOO_LARGE). */
  maxLogBytesPerJob: number;
  /**
   * Log bytes an agent may send ahead of the edge's acks (agents keep a 4 MiB window); more
   * is refused as FLOOD.
   */
  maxPendingLogBytes: number;
  /** Messages per second per agent connection (token bucket, burst twice this). */
  maxMessagesPerSecond: number;
  /** Time an agent has to send `hello` after the upgrade. */
  helloTimeoutMs: number;
  /** How often delivery deadlines are checked. */
  sweepIntervalMs: number;
  /** Largest package file a hive may upload to the package cache, in bytes (refused while read). */
  maxPackageBytes: number;
  /** Versions of each worker the package cache keeps (older ones go on upload); 0 keeps all. */
  keepPackageVersions: number;
  /** How long a sent job stays valid: an agent refuses it after `expires_at` (JOB_EXPIRED). */
  jobTtlMs: number;
  /** Competing connections (refused or replacing) per hive per minute before it is contested. */
  maxContestsPerMinute: number;
  /** Failed dashboard sign-ins per client IP per minute before 429 RATE_LIMITED. */
  signInFailuresPerMinute: number;
  /** Agent upgrades with a bad token per client IP per minute before 429 RATE_LIMITED. */
  agentAuthFailuresPerMinute: number;
  /** The bearer token Prometheus sends for /metrics (--metrics-token); null: any API token. */
  metricsToken: string | null;
  /** Attempts of one webhook delivery before it is marked failed. */
  webhookAttempts: number;
  /** Delay before a webhook's first retry; it doubles each time (jittered) up to the cap. */
  webhookBackoffMs: number;
  /** Longest delay between two attempts of a webhook delivery. */
  webhookBackoffCapMs: number;
  /** How long one webhook request may take before it counts as failed. */
  webhookTimeoutMs: number;
  /** How long an instance holds a delivery it is attempting; past it another may take it. */
  webhookLeaseMs: number;
  /** How often each instance looks for due webhook deliveries (new events also wake it). */
  webhookPollMs: number;
  /** Jobs (and their logs) ended longer ago than this are removed (--job-retention); null: kept. */
  jobRetentionMs: number | null;
  /** Logs of jobs ended longer ago than this are removed, the jobs kept (--log-retention). */
  logRetentionMs: number | null;
  /** How often retention runs (one instance at a time, by lease). */
  retentionIntervalMs: number;
  /** Jobs looked at per batch; the edge serves requests between batches. */
  retentionBatch: number;
  /** How often expired dashboard sessions are removed (one instance at a time, by lease). */
  sessionSweepIntervalMs: number;
  /** The dashboard's live feed re-reads the store this often when the bus is silent. */
  dashboardPollMs: number;
};

export const defaultEdgeOptions: EdgeOptions = {
  heartbeatMs: 15_000,
  maxFrameBytes: 1024 * 1024,
  deliveryTimeoutMs: 24 * 60 * 60 * 1000,
  maxLogBytesPerJob: 256 * 1024 * 1024,
  maxPendingLogBytes: 64 * 1024 * 1024,
  maxMessagesPerSecond: 1000,
  helloTimeoutMs: 10_000,
  sweepIntervalMs: 1000,
  maxPackageBytes: 512 * 1024 * 1024,
  keepPackageVersions: 0,
  jobTtlMs: 15 * 60 * 1000,
  maxContestsPerMinute: 3,
  signInFailuresPerMinute: 10,
  agentAuthFailuresPerMinute: 30,
  metricsToken: null,
  webhookAttempts: 10,
  webhookBackoffMs: 5_000,
  webhookBackoffCapMs: 60 * 60 * 1000,
  webhookTimeoutMs: 10_000,
  webhookLeaseMs: 60_000,
  webhookPollMs: 1_000,
  jobRetentionMs: null,
  logRetentionMs: null,
  retentionIntervalMs: 60_000,
  retentionBatch: 200,
  sessionSweepIntervalMs: 10 * 60 * 1000,
  dashboardPollMs: 10_000,
};
