import { z } from 'zod';

/**
 * One entry of a job's log, numbered per job from 0. Lines and steps share the numbering so
 * that a reader replaying from any number sees them in the order they happened.
 * Keys are short on purpose: logs are the bulk of all traffic.
 */
export const logLineSchema = z.object({
  /** Sequence number, per job, from 0. */
  s: z.number().int().nonnegative(),
  /** Timestamp, ms since the epoch. */
  t: z.number(),
  /** Stream: o = stdout, e = stderr. */
  k: z.enum(['o', 'e']),
  /** The line, without its newline. */
  x: z.string(),
  /** Present when the line was cut at the executor's line cap. */
  c: z.literal(1).optional(),
});

export const logStepSchema = z.object({
  s: z.number().int().nonnegative(),
  t: z.number(),
  k: z.literal('step'),
  /** Step name, e.g. `build`, `sources`, `install`. */
  step: z.string().min(1).max(64),
  phase: z.enum(['start', 'end']),
  ok: z.boolean().optional(),
  /** A short human note, e.g. the function name or why a step failed. */
  note: z.string().max(4096).optional(),
});

export const logEntrySchema = z.discriminatedUnion('k', [logLineSchema, logStepSchema]);
export type LogLine = z.infer<typeof logLineSchema>;
export type LogStep = z.infer<typeof logStepSchema>;
export type LogEntry = z.infer<typeof logEntrySchema>;
