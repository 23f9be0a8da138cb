import type { JobError, JobKind, JobState } from '../../shared/protocol/job.ts';
import type { InstalledWorker, PlatformInfo } from '../../shared/protocol/messages.ts';

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
};

export type JobFilter = { hive?: string; state?: JobState; limit?: number };
