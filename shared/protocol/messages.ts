import { z } from 'zod';
import { architectureSchema, platformSchema, workerIdSchema } from '../catalog/schema.ts';
import {
  agentReleaseSchema,
  jobErrorSchema,
  jobIdSchema,
  jobOutcomeSchema,
  jobSpecSchema,
} from './job.ts';
import { logEntrySchema } from './log-entry.ts';

/**
 * Every message is one JSON object `{v, type, ...}`: `v` is the protocol version, `type` picks
 * the schema. One schema per message; each direction has its own allow-list (see codec.ts).
 */
const envelope = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ v: z.literal(1), type: z.literal(type), ...shape }).strict();

export const acceleratorSchema = z.object({
  kind: z.enum(['cuda', 'metal', 'rocm']),
  name: z.string().max(256).optional(),
  driver: z.string().max(64).optional(),
});

export const installedWorkerSchema = z.object({
  id: workerIdSchema,
  version: z.string().max(128),
  binary: z.string().max(4096).optional(),
  files: z.number().int().nonnegative().optional(),
  installed_at: z.number().optional(),
});

export const platformInfoSchema = z.object({
  os: platformSchema,
  arch: architectureSchema,
  accelerators: z.array(acceleratorSchema).max(16),
  hostname: z.string().max(256).optional(),
});

const seq = z.number().int().nonnegative();

// ── agent → edge ────────────────────────────────────────────────────────────────────────
export const helloSchema = envelope('hello', {
  agent_version: z.string().max(64),
  protocol: z.number().int(),
  platform: platformInfoSchema,
  installed: z.array(installedWorkerSchema).max(1000),
  /** Jobs the agent has not finished reporting, with the next seq it would send. */
  jobs: z.array(z.object({ id: jobIdSchema, next_seq: seq })).max(1000),
  /**
   * The agent can replace itself (`upgrade` jobs, the `agent` of welcome): the bundled agent
   * says so; one run from a checkout does not, and older agents know neither.
   */
  upgradable: z.boolean().optional(),
});

export const acceptSchema = envelope('accept', {
  job: jobIdSchema,
  /** True when the agent had already accepted this job id (a redelivery): it is not run again. */
  duplicate: z.boolean(),
});

export const logsSchema = envelope('logs', {
  job: jobIdSchema,
  entries: z.array(logEntrySchema).min(1).max(100_000),
});

export const jobStateSchemaMsg = envelope('job_state', {
  job: jobIdSchema,
  state: z.literal('running'),
  step: z.string().max(64),
});

export const jobDoneSchema = envelope('job_done', {
  job: jobIdSchema,
  outcome: jobOutcomeSchema,
  /** The number of log entries the job produced: the edge closes the log once it has them all. */
  total: seq,
  error: jobErrorSchema.optional(),
});

export const capabilitiesSchema = envelope('capabilities', {
  platform: platformInfoSchema,
  installed: z.array(installedWorkerSchema).max(1000),
});

export const pingSchema = envelope('ping', { ts: z.number() });
export const pongSchema = envelope('pong', { ts: z.number() });

// ── edge → agent ────────────────────────────────────────────────────────────────────────
export const welcomeSchema = envelope('welcome', {
  hive: z.string().max(64),
  heartbeat_ms: z.number().int().positive(),
  /** For each job the agent listed: the next seq the edge needs (resend from there). */
  jobs: z.array(z.object({ id: jobIdSchema, next_seq: seq, cancel: z.boolean() })).max(1000),
  /** The agent this edge serves (sent only to an agent whose hello said `upgradable`). */
  agent: agentReleaseSchema.optional(),
});

export const jobMessageSchema = envelope('job', { job: jobSpecSchema });
export const cancelSchema = envelope('cancel', { job: jobIdSchema });
export const ackSchema = envelope('ack', { job: jobIdSchema, next_seq: seq });
export const doneAckSchema = envelope('done_ack', { job: jobIdSchema });
export const errorSchema = envelope('error', {
  code: z.string().max(64),
  message: z.string().max(4096),
});

export const agentMessageSchemas = {
  hello: helloSchema,
  accept: acceptSchema,
  logs: logsSchema,
  job_state: jobStateSchemaMsg,
  job_done: jobDoneSchema,
  capabilities: capabilitiesSchema,
  ping: pingSchema,
  pong: pongSchema,
} as const;

export const edgeMessageSchemas = {
  welcome: welcomeSchema,
  job: jobMessageSchema,
  cancel: cancelSchema,
  ack: ackSchema,
  done_ack: doneAckSchema,
  error: errorSchema,
  ping: pingSchema,
  pong: pongSchema,
} as const;

type Infer<M> = { [K in keyof M]: M[K] extends z.ZodType ? z.infer<M[K]> : never }[keyof M];
export type AgentMessage = Infer<typeof agentMessageSchemas>;
export type EdgeMessage = Infer<typeof edgeMessageSchemas>;
export type AgentMessageType = keyof typeof agentMessageSchemas;
export type EdgeMessageType = keyof typeof edgeMessageSchemas;
export type PlatformInfo = z.infer<typeof platformInfoSchema>;
export type InstalledWorker = z.infer<typeof installedWorkerSchema>;

/**
 * A message as code builds it, before the envelope adds `v` (what `encodeMessage` takes).
 * @example const ping: MessageBody<AgentMessage> = { type: 'ping', ts: Date.now() };
 */
export type MessageBody<M> = M extends unknown ? Omit<M, 'v'> : never;
