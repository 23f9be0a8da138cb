import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildEvent, BuildOptions } from '../executor/index.ts';
import { jobFailure } from './job-failure.ts';
import type { JobContext, JobPipeline } from './job-pipeline.ts';

/** The PKGBUILD executor (issue 4's `runBuild`), passed in so another can stand in for it. */
export type RunBuild = (dir: string, options: BuildOptions) => Promise<unknown>;

export type RunnerOptions = {
  /** Passed to the executor: the most output one build may print. */
  maxOutputBytes?: number;
};

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

/**
 * Issue 5's job pipeline: a fresh workspace, the worker's PKGBUILD from the edge, then the
 * executor, with local sources fetched from the catalog. Uninstall arrives with the install
 * pipeline, which replaces this function with the same signature.
 * @example
 * const pipeline = createRunner(runBuild);
 * const result = await pipeline(job, ctx); // { outcome: 'succeeded' }
 */
export function createRunner(runBuild: RunBuild, options: RunnerOptions = {}): JobPipeline {
  return async (job, ctx) => {
    if (job.kind === 'uninstall') {
      return {
        outcome: 'failed',
        error: { message: 'uninstall arrives with the install pipeline' },
      };
    }
    const worker = job.worker;
    await ctx.emitStep({ step: 'workspace', phase: 'start' });
    await rm(ctx.workspace, { recursive: true, force: true });
    await mkdir(ctx.workspace, { recursive: true });
    await ctx.emitStep({ step: 'workspace', phase: 'end', ok: true, note: ctx.workspace });

    await ctx.emitStep({ step: 'fetch', phase: 'start', note: `PKGBUILD of ${worker}` });
    try {
      const pkgbuild = await ctx.edgeHttp.getText(`/workers/${worker}/PKGBUILD`, ctx.signal);
      await writeFile(join(ctx.workspace, 'PKGBUILD'), pkgbuild);
    } catch (error) {
      const result = jobFailure(error, ctx.signal);
      await ctx.emitStep({ step: 'fetch', phase: 'end', ok: false, note: result.error?.message });
      return { ...result, error: { ...result.error!, step: 'fetch' } };
    }
    await ctx.emitStep({ step: 'fetch', phase: 'end', ok: true });

    try {
      await runBuild(ctx.workspace, {
        onEvent: (event) => forwardBuildEvent(event, ctx),
        signal: ctx.signal,
        sourceBase: `${ctx.edgeHttp.base}/workers/${worker}/files/`,
        ...(options.maxOutputBytes ? { maxOutputBytes: options.maxOutputBytes } : {}),
      });
    } catch (error) {
      return jobFailure(error, ctx.signal);
    }
    return { outcome: 'succeeded' };
  };
}
