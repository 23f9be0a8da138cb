import { z } from 'zod';
import { workerIdSchema } from '../catalog/schema.ts';
import { signedEnvelopeSchema } from '../catalog/signature.ts';
import { buildModeSchema } from '../repo/package-record.ts';

/** Job ids are edge-made (`job_` + 24 base32 characters), but parse anything sane. */
export const jobIdSchema = z
  .string()
  .regex(/^job_[A-Za-z0-9]{8,40}$/, 'job id must look like job_<8 to 40 letters or digits>');

/** `upgrade` replaces the agent itself with the file the edge serves (worker `rbee-agent`). */
export const jobKindSchema = z.enum(['install', 'uninstall', 'upgrade']);
export type JobKind = z.infer<typeof jobKindSchema>;

export const jobStateSchema = z.enum([
  'queued',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'delivery_timed_out',
]);
export type JobState = z.infer<typeof jobStateSchema>;

export const terminalStates: ReadonlySet<JobState> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'delivery_timed_out',
]);

/** The outcome an agent reports for a job it ran. */
export const jobOutcomeSchema = z.enum(['succeeded', 'failed', 'cancelled', 'timed_out']);
export type JobOutcome = z.infer<typeof jobOutcomeSchema>;

/** Why a job failed: which step, which command, the exit code and the last lines. */
export const jobErrorSchema = z.object({
  message: z.string().max(4096),
  step: z.string().max(64).optional(),
  function: z.string().max(128).optional(),
  exit_code: z.number().int().nullable().optional(),
  signal: z.string().max(32).nullable().optional(),
  last_lines: z.array(z.string().max(65536)).max(50).optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

/** How long a job may run, in milliseconds: up to a week. */
export const jobTimeoutSchema = z
  .number()
  .int()
  .positive()
  .max(7 * 24 * 3600 * 1000);

/** What the edge sends down to run: enough for the agent to fetch everything else itself. */
/** The agent file the edge serves, by version and sha256 (welcome's `agent`). */
export const agentReleaseSchema = z.object({
  version: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
/**
 * The agent an `upgrade` job installs: the edge's file, and the fleet key's signature over its
 * version and sha256 when the admins signed it (`rbee agents sign`; see agent-release.ts).
 */
export const upgradeTargetSchema = agentReleaseSchema.extend({
  signature: signedEnvelopeSchema.optional(),
});
export type AgentRelease = z.infer<typeof upgradeTargetSchema>;

/** The worker id an `upgrade` job carries: the agent itself. */
export const AGENT_WORKER = 'rbee-agent';

export const jobSpecSchema = z.object({
  id: jobIdSchema,
  kind: jobKindSchema,
  worker: workerIdSchema,
  /** Milliseconds the build may run before it is stopped as timed_out. */
  timeout_ms: z.number().int().positive().optional(),
  /** The package cache (shared/repo): absent means build here and cache nothing. */
  build: buildModeSchema.optional(),
  // The binding (see README "Security model"): an agent that verifies refuses a job without it.
  /** The hive the job was made for; an agent refuses a job for another hive. */
  hive: z.string().max(64).optional(),
  /** sha256 of the signed catalog statement the job installs (its payload's bytes). */
  statement: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** When the edge sent it and when it stops being valid (milliseconds since the epoch). */
  issued_at: z.number().int().nonnegative().optional(),
  expires_at: z.number().int().positive().optional(),
  /** `upgrade` jobs: the agent file to download from the edge and check before the swap. */
  agent: upgradeTargetSchema.optional(),
});
export type JobSpec = z.infer<typeof jobSpecSchema>;
