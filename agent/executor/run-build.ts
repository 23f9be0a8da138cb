import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { machine, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BuildContext } from './build-context.ts';
import { BUILD_DEFAULTS, type BuildOptions, type BuildResult } from './build-options.ts';
import { buildUser, handOverTree } from './build-user.ts';
import { driverScript, FAKED_ASK_SCRIPT, markerPrefix } from './driver/driver-script.ts';
import { runFunctions } from './driver/run-functions.ts';
import { StepFailure, Stopped } from './errors/step-failure.ts';
import { toBuildError } from './errors/to-build-error.ts';
import type { BuildStep } from './events/build-event.ts';
import { EventSink } from './events/event-sink.ts';
import { StepTracker } from './events/step-tracker.ts';
import { checkBuildfile } from './metadata/check-buildfile.ts';
import { lintPkgbuild } from './metadata/lint-pkgbuild.ts';
import { parseInfoDump } from './metadata/parse-info-dump.ts';
import { runProcess } from './process/run-process.ts';
import { buildEnv } from './sandbox/build-env.ts';
import { makeSandbox } from './sandbox/make-sandbox.ts';
import { ensureBuildDir, PlantedPathError } from './sandbox/no-follow.ts';
import { extractSources } from './sources/extract-sources.ts';
import { retrieveSources } from './sources/retrieve-sources.ts';
import { SourceError } from './sources/source-error.ts';
import { verifyChecksums } from './sources/verify-checksums.ts';

/**
 * Builds the PKGBUILD in `dir` as `makepkg --noarchive --nodeps -f` does, leaving `dir/src`
 * and `dir/pkg/<pkgname>`, and reports every output line and step to `options.onEvent`.
 * Rejects with a BuildError that names the step, the function and the reason.
 * @example
 * const result = await runBuild('/var/lib/rbee/jobs/42', {
 *   onEvent: (e) => e.type === 'line' && spool.append(e),
 *   signal: job.abortSignal,
 *   sourceBase: 'https://catalog.example/workers/rbee-hello-worker/files/',
 * });
 * // result.pkgdirs → ['/var/lib/rbee/jobs/42/pkg/rbee-hello-worker']
 */
export async function runBuild(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? BUILD_DEFAULTS.timeoutMs;
  const maxOutputBytes = options.maxOutputBytes ?? BUILD_DEFAULTS.maxOutputBytes;
  const user = buildUser(options);
  const workdir = await mkdtemp(join(tmpdir(), 'rbee-build-'));
  const home = options.home ?? join(workdir, 'home');
  const base = buildEnv(options.env, process.env);
  // As makepkg: a SOURCE_DATE_EPOCH from the caller means a reproducible build.
  const reproducible = base.SOURCE_DATE_EPOCH !== undefined;
  const env: NodeJS.ProcessEnv = {
    ...base,
    SOURCE_DATE_EPOCH: base.SOURCE_DATE_EPOCH ?? String(Math.floor(Date.now() / 1000)),
    ...(user ? { HOME: home } : {}),
  };
  let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
  const ctxRef: { ctx?: BuildContext } = {};
  const sink = new EventSink(options.onEvent, maxOutputBytes, {
    onLimit: () => ctxRef.ctx?.stop('output'),
    onHandlerError: (error) => {
      if (ctxRef.ctx === undefined) return;
      ctxRef.ctx.handlerError ??= error;
      ctxRef.ctx.stop('handler');
    },
  });
  const ctx = new BuildContext(sink, user, env, options.graceMs ?? BUILD_DEFAULTS.graceMs);
  ctxRef.ctx = ctx;
  const steps = new StepTracker(ctx);
  const onAbort = () => ctx.stop('canceled');
  if (options.signal?.aborted) ctx.stop('canceled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ctx.stop('timeout'), timeoutMs);
  const elapsed = () => Math.round(performance.now() - started);
  let startdir = resolve(dir);
  try {
    throwIfStopped(ctx);
    startdir = await realpath(startdir).catch(() => startdir);
    await checkBuildfile(startdir);
    const nonce = randomBytes(8).toString('hex');
    sandbox = await makeSandbox(options.sandbox ?? {}, user, {
      readOnly: [workdir],
      writable: [startdir, home],
      cgroupName: `rbee-build-${nonce}`,
    });
    ctx.sandbox = sandbox?.sandbox;
    // A sandboxed build gets a HOME of its own, as root or not: the agent's is not in there.
    if (ctx.sandbox && !user) {
      env.HOME = home;
      if (options.home === undefined) await mkdir(home, { mode: 0o700 });
    }
    if (user)
      await handOverTree(startdir, workdir, home, options.home === undefined, user, ctx.signal);
    const script = join(workdir, 'driver.sh');
    const fakedAsk = options.fakeroot === false ? '' : join(workdir, 'faked-ask');
    if (fakedAsk) await writeFile(fakedAsk, FAKED_ASK_SCRIPT, { mode: 0o755 });
    const conf =
      options.makepkgConf !== undefined
        ? options.makepkgConf
        : existsSync('/etc/makepkg.conf')
          ? '/etc/makepkg.conf'
          : null;
    const settings = {
      path: script,
      fakedAsk,
      nonce,
      startdir,
      conf,
      machine: machine(),
      noCheck: options.noCheck ?? false,
      reproducible,
      ...(options.carch ? { carch: options.carch } : {}),
    };
    await writeFile(script, driverScript(settings), { mode: 0o644 });
    const prefix = markerPrefix(nonce);

    await steps.start('metadata');
    const infoRun = await runProcess(ctx, 'bash', [script, 'info'], {
      cwd: startdir,
      captureFd3: true,
      markerPrefix: prefix,
      pkgbuildCode: true,
    });
    throwIfStopped(ctx);
    if (infoRun.exitCode !== 0) {
      throw new StepFailure(
        'metadata',
        `Failed to source PKGBUILD (exit code ${infoRun.exitCode})`,
      );
    }
    const info = parseInfoDump(infoRun.fd3);
    const problem = lintPkgbuild(info);
    if (problem !== undefined) throw new StepFailure('metadata', problem);
    await steps.end('metadata');

    const srcdir = join(startdir, 'src');
    // The info phase ran PKGBUILD code: `src` may be a link it planted.
    await ensureBuildDir(srcdir, user);

    await steps.start('sources');
    const fetched = await sourceStep('sources', () =>
      retrieveSources(ctx, info.sources, startdir, options.sourceBase),
    );
    throwIfStopped(ctx);
    await steps.end('sources', { message: fetched.join('\n') });

    await steps.start('checksums');
    const checked = await verifyChecksums(ctx, info, startdir);
    throwIfStopped(ctx);
    if (checked.error !== undefined) {
      await steps.end('checksums', {
        ok: false,
        message: checked.error,
        checksums: checked.results,
      });
      throw new StepFailure('checksums', checked.error);
    }
    await steps.end('checksums', { checksums: checked.results });

    await steps.start('extract');
    await ensureBuildDir(srcdir, user);
    const extracted = await sourceStep('extract', () =>
      extractSources(ctx, info.sources, info.noextract, startdir, srcdir),
    );
    throwIfStopped(ctx);
    await steps.end('extract', { message: extracted.join('\n') });

    const version = await runFunctions(ctx, steps, script, startdir, prefix, info);
    return {
      startdir,
      srcdir,
      pkgbase: info.pkgbase,
      pkgnames: info.pkgnames,
      pkgver: version.pkgver,
      pkgrel: version.pkgrel,
      epoch: info.epoch,
      pkgdirs: info.pkgnames.map((name) => join(startdir, 'pkg', name)),
      durationMs: elapsed(),
    };
  } catch (error) {
    throw await toBuildError(error, ctx, steps, elapsed(), timeoutMs, maxOutputBytes);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await rm(workdir, { recursive: true, force: true });
    await sandbox?.release();
  }
}

/** Source and extract failures are makepkg's own messages: a StepFailure of that step. */
async function sourceStep<T>(step: BuildStep, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SourceError || error instanceof PlantedPathError) {
      throw new StepFailure(step, error.message);
    }
    throw error;
  }
}

function throwIfStopped(ctx: BuildContext): void {
  if (ctx.stopped !== undefined) throw new Stopped();
}
