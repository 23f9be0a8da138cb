import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildOptions } from '../../../agent/executor/index.ts';
import { forwardBuildEvent } from '../../../agent/jobs/forward-build-event.ts';
import { jobFailure } from '../../../agent/jobs/job-failure.ts';
import type { JobPipeline } from '../../../agent/jobs/job-pipeline.ts';

/** The PKGBUILD executor, passed in so the real one runs. */
export type RunBuild = (dir: string, options: BuildOptions) => Promise<unknown>;

/**
 * The smallest real pipeline the job manager's tests need, without catalog signatures: a fresh
 * workspace, the worker's PKGBUILD from the catalog double, then the real executor with local
 * sources from the catalog. The agent's pipeline is `createInstallPipeline`, tested on its own.
 */
export function buildPipeline(runBuild: RunBuild): JobPipeline {
  return async (job, ctx) => {
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
      });
    } catch (error) {
      return jobFailure(error, ctx.signal);
    }
    return { outcome: 'succeeded' };
  };
}
