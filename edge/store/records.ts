import type { AuditEntry } from '../../shared/api/audit.ts';
import type { Role } from '../../shared/api/tokens.ts';
import type { Delivery, WebhookEvent } from '../../shared/api/webhooks.ts';
import type { AgentRelease, JobError, JobKind, JobState } from '../../shared/protocol/job.ts';
import type { InstalledWorker, PlatformInfo } from '../../shared/protocol/messages.ts';
import type { BuildMode } from '../../shared/repo/package-record.ts';

/** A hive as the edge keeps it. The token itself is never stored, only its SHA-256. */
export type HiveRecord = {
  id: string;
  name: string;
  labels: Record<string, string>;
  token_hash: string;
  created_at: number;
  last_seen: number | null;
  platform: PlatformInfo | null;
  installed: InstalledWorker[];
  agent_version: string | null;
  /** Its last hello said the agent can replace itself (upgrade jobs). */
  agent_upgradable?: boolean;
  /**
   * When the hub saw this hive's token on competing connections too often (see README
   * "Security model"): its jobs are held until an admin rotates the token. Absent: never.
   */
  contested_at?: number | null;
  /** When competing connections with its token were seen (any instance), within the last minute. */
  contests?: number[];
  /** SHA-256 of the machine identity it enrolled with (`POST /agent/enrol`), when it did. */
  machine?: string;
  /** The enrolment token it enrolled with, by id. */
  enrolment?: string;
  /** An admin marked it a builder: it may upload to the package cache (edge/packages/builders.ts). */
  builder?: boolean;
  /** The public key its agent registered for signing build records (`PUT /agent/builder-key`). */
  builder_key?: { id: string; pem: string; registered_at: number };
};

/**
 * A fleet enrolment token (`rbe_…`): many hives enrol with it, each getting its own hive
 * token. Only its SHA-256 is stored; uses are counted by compare-and-set.
 */
export type EnrolmentTokenRecord = {
  id: string;
  name: string | null;
  /** Labels every hive enrolled with it gets. */
  labels: Record<string, string>;
  token_hash: string;
  /** Enrolments it allows; null: no limit until it expires. */
  max_uses: number | null;
  uses: number;
  /** Milliseconds since the epoch; null: never. */
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
};

/** What an agent said when it finished a job; kept until the log holds every entry. */
export type PendingDone = { outcome: JobState; total: number; error?: JobError };

export type JobRecord = {
  id: string;
  hive: string;
  kind: JobKind;
  worker: string;
  state: JobState;
  /** The step a running job is in. */
  step: string | null;
  created_at: number;
  updated_at: number;
  /** A job not delivered by then becomes delivery_timed_out. */
  deliver_by: number;
  dispatched_at: number | null;
  accepted_at: number | null;
  ended_at: number | null;
  cancel_requested: boolean;
  error: JobError | null;
  pending_done: PendingDone | null;
  timeout_ms: number | null;
  rollout: string | null;
  /** How the job uses the package cache; absent on jobs made before it existed. */
  build?: BuildMode;
  /**
   * Waiting for a slot of its rollout (max concurrency): stored queued but not delivered, and
   * out of the delivery-deadline sweep, until the rollout releases it.
   */
  held?: boolean;
  /** Succeeded at once without being sent: the hive already had this version (no `force`). */
  already_installed?: boolean;
  /** Automatic new attempts left after an infrastructure failure (edge/jobs/retry-policy.ts). */
  retries_left?: number;
  /** The failed job this one is a new attempt of. */
  retry_of?: string;
  /** The new attempt made when this one failed for an infrastructure reason. */
  retried_by?: string;
  /** `upgrade` jobs: the agent file (version and sha256) the hive is to install. */
  agent?: AgentRelease;
};

export type RolloutState = 'running' | 'succeeded' | 'failed' | 'stopped';

/** How many of a rollout's jobs are where. `failed` counts failed and timed-out jobs. */
export type RolloutCounts = {
  total: number;
  /** Held back by max_concurrency. */
  waiting: number;
  /** Released and not finished (queued for an offline hive, dispatched or running). */
  in_progress: number;
  succeeded: number;
  failed: number;
  cancelled: number;
};

/** One install sent to many hives, with a concurrency limit and an error threshold (AWS SSM's MaxConcurrency and MaxErrors). */
export type RolloutRecord = {
  id: string;
  kind: JobKind;
  worker: string;
  state: RolloutState;
  /** Jobs in progress at once; null: all at once. */
  max_concurrency: number | null;
  /** Failed jobs after which the waiting ones are cancelled and the rollout stopped; null: never. */
  max_errors: number | null;
  /**
   * Canary rollouts (the package cache): the first `canary` jobs run alone; when all succeed the
   * rest are released (and install the package the canaries built); a failed canary stops it.
   */
  canary?: { size: number; passed: boolean };
  counts: RolloutCounts;
  /** An admin cancelled it (POST /api/rollouts/:id/cancel); absent on older records. */
  cancel_requested?: boolean;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
};

export type JobFilter = { hive?: string; state?: JobState; limit?: number };

/** A named API token (POST /api/tokens). Only the token's SHA-256 is kept. */
export type ApiTokenRecord = {
  name: string;
  role: Role;
  token_hash: string;
  created_at: number;
  /** The name of the token that created it. */
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
};

/** One audit entry: append-only, listed newest first. */
export type AuditRecord = AuditEntry;

export type AuditFilter = { since?: number; actor?: string; action?: string; limit?: number };

/** A webhook (POST /api/webhooks). The secret is kept as given: the edge signs with it. */
export type WebhookRecord = {
  id: string;
  url: string;
  events: WebhookEvent[];
  secret: string;
  description: string | null;
  created_at: number;
  created_by: string;
};

/**
 * One event on its way to one webhook (edge/webhooks). `due_at` is when an instance may next
 * take it: the next attempt's time while pending, the lease's end while delivering, null once
 * it is delivered or failed; the store keeps an index on it.
 */
export type DeliveryRecord = Delivery & { due_at: number | null; lease_owner: string | null };
