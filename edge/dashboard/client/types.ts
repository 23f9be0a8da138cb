import type { HivePlatform } from '../../../shared/catalog/compatibility.ts';
import type { JobError, JobState } from '../../../shared/protocol/job.ts';

/** The parts of the admin API's answers that the pages read (the edge's routes define them). */
export type Hive = {
  id: string;
  name: string;
  online: boolean;
  last_seen: number | null;
  labels: Record<string, string>;
  platform: (HivePlatform & { hostname?: string }) | null;
  installed: { id: string; version: string }[];
  agent_version?: string | null;
  contested?: boolean;
  builder?: boolean;
  builder_key_id?: string | null;
};

export type Job = {
  id: string;
  kind: 'install' | 'uninstall' | 'upgrade';
  worker: string;
  hive: string;
  state: JobState;
  step?: string | null;
  error?: Partial<JobError> | null;
  held?: boolean;
  cancel_requested?: boolean;
  created_at: number;
  rollout?: string | null;
  log_entries?: number;
  dispatched_at?: number | null;
  accepted_at?: number | null;
  ended_at?: number | null;
};

export type RolloutCounts = {
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  in_progress: number;
  waiting: number;
};

export type Rollout = {
  id: string;
  kind: string;
  worker: string;
  state: string;
  counts: RolloutCounts;
  max_concurrency: number | null;
  max_errors: number | null;
  created_at: number;
  ended_at: number | null;
  cancel_requested?: boolean;
};
