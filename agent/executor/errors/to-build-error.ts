import type { BuildContext } from '../build-context.ts';
import type { StepTracker } from '../events/step-tracker.ts';
import { BuildError } from './build-error.ts';
import { StepFailure } from './step-failure.ts';

/**
 * Turns whatever ended a build into a BuildError whose message starts with the reason: a stop
 * from outside (timeout, cancel, output cap, handler) wins over the failure it caused. Other
 * errors (a bug, bash missing) are returned as they are.
 */
export async function toBuildError(
  error: unknown,
  ctx: BuildContext,
  steps: StepTracker,
  durationMs: number,
  timeoutMs: number,
  maxOutputBytes: number,
): Promise<unknown> {
  const where = ctx.function ? `in ${ctx.function}()` : `during the ${ctx.step} step`;
  let reason: string;
  let failure: StepFailure | undefined;
  if (ctx.stopped === 'timeout')
    reason = `Build timed out after ${timeoutMs} milliseconds ${where}`;
  else if (ctx.stopped === 'canceled') reason = `Build was canceled ${where}`;
  else if (ctx.stopped === 'output') {
    reason = `Build output exceeded the limit of ${maxOutputBytes} bytes ${where}`;
  } else if (ctx.stopped === 'handler') {
    reason = `The build's event handler failed ${where}: ${(ctx.handlerError as Error)?.message}`;
  } else if (error instanceof StepFailure) {
    failure = error;
    reason = error.message;
  } else return error;
  // A step cut short still gets its end event, so a log shows where the build stopped.
  await steps.abandon(reason).catch(() => undefined);
  const built = new BuildError({
    reason,
    step: failure?.step ?? ctx.step,
    ...((failure ? failure.fn : ctx.function)
      ? { function: failure ? failure.fn : ctx.function }
      : {}),
    ...(failure?.exitCode !== undefined ? { exitCode: failure.exitCode } : {}),
    ...(failure?.signal !== undefined ? { signal: failure.signal } : {}),
    timedOut: ctx.stopped === 'timeout',
    canceled: ctx.stopped === 'canceled',
    outputLimited: ctx.stopped === 'output',
    durationMs,
    lastLines: ctx.sink.lastLines(),
  });
  if (ctx.stopped === 'handler') built.cause = ctx.handlerError;
  return built;
}
