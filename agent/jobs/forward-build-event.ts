import type { BuildEvent } from '../executor/index.ts';
import type { JobContext } from './job-pipeline.ts';

/** Maps one executor event onto the job's log; its promise (backpressure) is handed back. */
export function forwardBuildEvent(event: BuildEvent, ctx: JobContext): void | Promise<void> {
  if (event.type === 'line') {
    // The hot path (every line of a build): plain object literals, no spreads.
    const line: Parameters<JobContext['emitLine']>[0] = {
      stream: event.stream === 'stdout' ? 'o' : 'e',
      text: event.text,
      ts: event.ts,
    };
    if (event.cut) line.cut = true;
    return ctx.emitLine(line);
  }
  const note =
    event.message ??
    (event.function
      ? `${event.function}()${event.pkgname ? ` for ${event.pkgname}` : ''}`
      : undefined);
  return ctx.emitStep({
    step: event.step,
    phase: event.phase,
    ...(event.ok !== undefined ? { ok: event.ok } : {}),
    ...(note ? { note } : {}),
    ts: event.ts,
  });
}
