import type { BuildContext } from '../build-context.ts';
import { StepFailure, Stopped } from '../errors/step-failure.ts';
import type { BuildStep } from '../events/build-event.ts';
import type { StepTracker } from '../events/step-tracker.ts';
import type { PkgbuildInfo } from '../metadata/pkgbuild-info.ts';
import { runProcess } from '../process/run-process.ts';

/**
 * The driver's build phase (which runs the package phase as its child): prepare, pkgver,
 * build, check, package and tidy, with step events from its markers.
 */
export async function runFunctions(
  ctx: BuildContext,
  steps: StepTracker,
  script: string,
  startdir: string,
  prefix: Buffer,
  info: PkgbuildInfo,
): Promise<{ pkgver: string; pkgrel: string }> {
  const version = { pkgver: info.pkgver, pkgrel: info.pkgrel };
  let failure: StepFailure | undefined;
  const run = await runProcess(ctx, 'bash', [script, 'build'], {
    cwd: startdir,
    markerPrefix: prefix,
    pkgbuildCode: true,
    onMarker: (payload) => {
      // A stopped build reports where it was stopped, not the steps its processes finished.
      if (ctx.stopped !== undefined) return;
      const [, kind, step, fn, pkg, status, ...extra] = payload.split('\t');
      const where = {
        ...(fn ? { function: fn } : {}),
        ...(pkg && (step === 'package' || step === 'tidy') ? { pkgname: pkg } : {}),
      };
      if (kind === 'S') return steps.start(step as BuildStep, where);
      if (kind === 'E') {
        if (step === 'pkgver') {
          version.pkgver = extra[0] ?? version.pkgver;
          version.pkgrel = extra[1] ?? version.pkgrel;
          return steps.end('pkgver', { ...where, message: version.pkgver });
        }
        if (step === 'tidy') {
          const operations = (extra[0] ?? '').split('\x1f').filter(Boolean);
          const warnings = (extra[1] ?? '').split('\x1f').filter(Boolean);
          return steps.end('tidy', {
            ...where,
            operations,
            ...(warnings.length ? { warnings } : {}),
          });
        }
        return steps.end(step as BuildStep, where);
      }
      if (kind === 'F') {
        const code = Number(status);
        const reason =
          extra[0]?.replaceAll('\x1f', '; ') || `${fn}() failed with exit code ${code}`;
        failure = new StepFailure(step as BuildStep, reason, fn, code);
        return steps.end(step as BuildStep, { ...where, ok: false, message: reason });
      }
    },
  });
  if (ctx.stopped !== undefined) throw new Stopped();
  if (failure) throw failure;
  if (run.exitCode !== 0) {
    const step = ctx.step;
    const what = ctx.function ? `${ctx.function}()` : `The ${step} step`;
    if (run.signal) {
      throw new StepFailure(
        step,
        `${what} was killed by ${run.signal}`,
        ctx.function,
        undefined,
        run.signal,
      );
    }
    throw new StepFailure(
      step,
      `${what} failed with exit code ${run.exitCode}`,
      ctx.function,
      run.exitCode ?? undefined,
    );
  }
  return version;
}
