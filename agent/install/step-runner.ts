import type { JobContext } from '../jobs/job-pipeline.ts';

/** A pipeline step refused or failed; `step` names it for the job's error. */
export class StepError extends Error {
  override name = 'StepError';
  constructor(
    readonly step: string,
    message: string,
    /** What was missing, for refusals (dependencies, platform). */
    readonly missing: string[] = [],
  ) {
    super(message);
  }
}

/**
 * Runs one reported step: a `start`, then an `end` with ok and a note. A throw ends the step
 * with its message and is rethrown as a StepError naming the step.
 */
export async function runStep<T>(
  ctx: JobContext,
  step: string,
  note: string | undefined,
  fn: () => Promise<{ value: T; note?: string }>,
): Promise<T> {
  ctx.signal.throwIfAborted();
  await ctx.emitStep({ step, phase: 'start', ...(note ? { note } : {}) });
  try {
    const { value, note: done } = await fn();
    await ctx.emitStep({ step, phase: 'end', ok: true, ...(done ? { note: done } : {}) });
    return value;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await ctx.emitStep({ step, phase: 'end', ok: false, note: message.slice(0, 4096) });
    if (error instanceof StepError) throw error;
    const wrapped = new StepError(step, message);
    wrapped.cause = error;
    throw wrapped;
  }
}

/** Writes a line to the job's log (stdout side). */
export function say(ctx: JobContext, text: string) {
  return ctx.emitLine({ stream: 'o', text });
}
