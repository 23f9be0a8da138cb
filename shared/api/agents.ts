import { z } from 'zod';
import { agentReleaseSchema, jobTimeoutSchema } from '../protocol/job.ts';
import { jobSchema, rolloutSchema, selectorSchema } from './jobs.ts';

/** `POST /api/agents/upgrade`: which hives move to the edge's agent, and how fast. */
export const upgradeAgentsRequestSchema = z
  .object({
    hives: z.array(z.string().min(1).max(64)).min(1).max(100_000).optional(),
    selector: selectorSchema.optional(),
    /** Upgrades in progress at once; the rest wait their turn. */
    max_concurrency: z.number().int().positive().max(100_000).optional(),
    /** Failed upgrades after which the waiting ones are cancelled and the rollout stops. */
    max_errors: z.number().int().positive().max(100_000).optional(),
    /** This many hives upgrade first; the rest wait until every one of them succeeded. */
    canary: z.number().int().positive().max(100_000).optional(),
    /** How long one upgrade may take, restart and first welcome included (default 10 min). */
    timeout_ms: jobTimeoutSchema.optional(),
  })
  .strict()
  .refine(
    (b) => (b.hives === undefined) !== (b.selector === undefined),
    'give exactly one of hives or selector',
  );
export type UpgradeAgentsRequest = z.input<typeof upgradeAgentsRequestSchema>;

/** A hive the rollout left out, and why (already at the version, or cannot upgrade itself). */
export const skippedHiveSchema = z.object({
  hive: z.string(),
  name: z.string(),
  reason: z.enum(['current', 'not_upgradable']),
  message: z.string(),
});

export const upgradeAgentsResponseSchema = z.object({
  /** The agent every job installs, and the fleet key that signed it (null: not signed). */
  agent: agentReleaseSchema.extend({ signed_by: z.string().nullable() }),
  rollout: rolloutSchema,
  jobs: z.array(jobSchema),
  skipped: z.array(skippedHiveSchema),
});
export type UpgradeAgentsResponse = z.infer<typeof upgradeAgentsResponseSchema>;

/** `POST /api/agents/signed`: what the edge stored (it cannot check the signature; agents do). */
export const signAgentResponseSchema = z.object({
  version: z.string(),
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  key_id: z.string(),
  signed_at: z.number().int().nonnegative(),
  /** True when it is the file this edge serves now. */
  serving: z.boolean(),
});
export type SignAgentResponse = z.infer<typeof signAgentResponseSchema>;
