import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { incompatibilities } from '../../shared/catalog/compatibility.ts';
import { type CatalogEntry, catalogEntrySchema } from '../../shared/catalog/schema.ts';
import { type Pkgbuild, packageFields, parsePkgbuild } from '../../shared/pkgbuild/index.ts';
import type { JobSpec, PlatformInfo } from '../../shared/protocol/index.ts';
import { buildUser } from '../executor/build-user.ts';
import { BuildError, type BuildOptions, type BuildResult } from '../executor/index.ts';
import { buildEnv } from '../executor/sandbox/build-env.ts';
import { writeNewFile } from '../fs/no-follow.ts';
import { forwardBuildEvent } from '../jobs/forward-build-event.ts';
import { jobFailure } from '../jobs/job-failure.ts';
import type { JobContext, JobPipeline, JobResult } from '../jobs/job-pipeline.ts';
import { archiveAndUpload, cacheStep, installFromCache } from '../package/cache-steps.ts';
import { type Capabilities, writeCapabilities } from './capabilities.ts';
import { checkDependencies } from './dependencies.ts';
import { installTree } from './install-tree.ts';
import { deleteManifest, readManifest, writeManifest } from './manifest.ts';
import type { PackageTreeLimits } from './package-tree.ts';
import { runStep, StepError, say } from './step-runner.ts';
import { uninstallTree } from './uninstall-tree.ts';
import { type TrustPolicy, verifyStep } from './verify.ts';
import { freshWorkspace, sweepWorkspaces } from './workspace.ts';

/** The executor, passed in (tests give it build options through `buildOptions`). */
export type RunBuildFn = (dir: string, options: BuildOptions) => Promise<BuildResult>;

export type InstallPipelineOptions = {
  stateDir: string;
  platform: PlatformInfo;
  runBuild: RunBuildFn;
  /** `check` (default) refuses a job whose dependencies are missing; `skip` does not look. */
  deps?: 'check' | 'skip';
  /** How long a failed job's workspace is kept for a person to look (default 24 h). */
  keepFailedWorkspaceMs?: number;
  /** Passed to the executor. */
  buildOptions?: Omit<BuildOptions, 'onEvent' | 'signal' | 'sourceBase'>;
  /** Bounds on a package tree install accepts (defaults in PACKAGE_TREE_DEFAULTS). */
  installLimits?: Partial<PackageTreeLimits>;
  /** Called with the new capabilities after an install or uninstall (sent upstream). */
  report?: (caps: Capabilities) => void;
  /** The keys and rules of the `verify` step (verify.ts); unset: the step only says so. */
  verify?: TrustPolicy;
};

export const DEFAULT_KEEP_FAILED_WORKSPACE_MS = 24 * 60 * 60 * 1000;

/** Marks a kept workspace; its age decides when the sweep deletes it. */
const FAILED_MARK = '.rbee-failed';

const fullVersion = (p: { epoch: string; pkgver: string; pkgrel: string }) =>
  `${p.epoch && p.epoch !== '0' ? `${p.epoch}:` : ''}${p.pkgver}-${p.pkgrel}`;

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/** Checks the parsed PKGBUILD against its catalog entry: name, version and arch. */
function matchEntry(pkgbuild: Pkgbuild, entry: CatalogEntry, carch: string): string {
  const wrong: string[] = [];
  if (!pkgbuild.pkgnames.includes(entry.implementation) && !pkgbuild.pkgnames.includes(entry.id))
    wrong.push(
      `it builds ${pkgbuild.pkgnames.join(', ')}, not ${entry.implementation} (catalog id ${entry.id})`,
    );
  if (pkgbuild.pkgver !== entry.version)
    wrong.push(`its pkgver is ${pkgbuild.pkgver}, the catalog says ${entry.version}`);
  const arch = list(pkgbuild.fields.arch);
  if (!arch.includes('any') && !arch.includes(carch))
    wrong.push(`its arch=(${arch.join(' ')}) does not include ${carch}`);
  if (wrong.length > 0)
    throw new Error(`The PKGBUILD does not match catalog entry ${entry.id}: ${wrong.join('; ')}`);
  return `${pkgbuild.pkgnames.join(', ')} ${fullVersion(pkgbuild)}`;
}

const locks = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call with the same key (jobs of one worker in one state dir). */
function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const run = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
  const settled = run.catch(() => {});
  locks.set(key, settled);
  void settled.then(() => {
    if (locks.get(key) === settled) locks.delete(key);
  });
  return run;
}

/**
 * The install pipeline, one step after another so each is reported: metadata → platform → fetch → parse → dependencies →
 * workspace → the executor's steps → install → capabilities → cleanup, each reported as a
 * step; and uninstall → capabilities for uninstall jobs.
 * @example
 * const pipeline = createInstallPipeline({ stateDir, platform, runBuild });
 * await pipeline(job, ctx); // { outcome: 'succeeded' }
 */
export function createInstallPipeline(options: InstallPipelineOptions): JobPipeline {
  const carch = options.platform.arch;
  const exclusive = <T>(worker: string, fn: () => Promise<T>) =>
    oneAtATime(`${options.stateDir}\0${worker}`, fn);
  const keepMs = options.keepFailedWorkspaceMs ?? DEFAULT_KEEP_FAILED_WORKSPACE_MS;
  const journalDir = join(options.stateDir, 'journal');

  const capabilities = (ctx: JobContext) =>
    runStep(ctx, 'capabilities', undefined, async () => {
      const caps = await writeCapabilities(options.stateDir, options.platform);
      options.report?.(caps);
      return {
        value: caps,
        note: `${caps.installed.length} installed: ${caps.installed.map((w) => `${w.id} ${w.version}`).join(', ') || 'none'}`,
      };
    });

  const uninstall = async (worker: string, ctx: JobContext): Promise<JobResult> => {
    await runStep(ctx, 'uninstall', worker, () =>
      exclusive(worker, async () => {
        const manifest = await readManifest(options.stateDir, worker);
        if (!manifest) throw new Error(`${worker} is not installed on this hive`);
        const { removed, kept } = await uninstallTree(manifest, journalDir, () =>
          deleteManifest(options.stateDir, worker),
        );
        for (const path of removed) await say(ctx, `removed /${path}`);
        for (const path of kept) await say(ctx, `kept /${path} (a backup file you changed)`);
        return {
          value: null,
          note: `${removed.length} files removed${kept.length ? `, ${kept.length} changed backup files kept` : ''}`,
        };
      }),
    );
    await capabilities(ctx);
    return { outcome: 'succeeded' };
  };

  const install = async (worker: string, ctx: JobContext, job: JobSpec): Promise<JobResult> => {
    const entry = await runStep(ctx, 'catalog', worker, async () => {
      const raw = JSON.parse(await ctx.edgeHttp.getText(`/workers/${worker}`, ctx.signal));
      const value = catalogEntrySchema.parse(raw);
      return { value, note: `${value.name} ${value.version} (${value.worker_type})` };
    });

    await runStep(ctx, 'platform', undefined, async () => {
      const why = incompatibilities(entry, options.platform);
      if (why.length > 0) {
        throw new StepError(
          'platform',
          `This hive cannot run ${entry.id}: ${why.map((w) => w.message).join('; ')}`,
          why.map((w) => w.code),
        );
      }
      const acc = options.platform.accelerators.map((a) => a.kind).join(', ') || 'no accelerator';
      return {
        value: null,
        note: `${options.platform.os}/${options.platform.arch}, ${acc}`,
      };
    });

    const text = await runStep(ctx, 'fetch', `PKGBUILD of ${worker}`, async () => {
      const value = await ctx.edgeHttp.getText(`/workers/${worker}/PKGBUILD`, ctx.signal);
      return { value, note: `${value.length} bytes` };
    });

    const verified = await verifyStep(ctx, job, entry, text, options.verify, carch);

    const pkgbuild = await runStep(ctx, 'parse', undefined, async () => {
      const value = parsePkgbuild(text, { carch, filename: 'PKGBUILD' });
      return { value, note: matchEntry(value, entry, carch) };
    });

    await runStep(ctx, 'dependencies', undefined, async () => {
      const wanted = [
        ...pkgbuild.pkgnames.flatMap((name) => list(packageFields(pkgbuild, name, carch).depends)),
        ...list(pkgbuild.fields.makedepends),
        ...(pkgbuild.archFields[carch]?.makedepends ?? []),
      ];
      if (options.deps === 'skip')
        return { value: null, note: `not checked (policy: skip): ${wanted.join(' ') || 'none'}` };
      const checks = await checkDependencies(wanted);
      for (const c of checks) await say(ctx, `${c.name}: ${c.found ?? 'MISSING'}`);
      const missing = checks.filter((c) => !c.found).map((c) => c.name);
      if (missing.length > 0) {
        throw new StepError(
          'dependencies',
          `Missing dependencies of ${entry.id}: ${missing.join(', ')} (not a command on PATH, a library ldconfig knows, or a package of the host's package manager)`,
          missing,
        );
      }
      return { value: null, note: `${checks.length} found` };
    });

    await runStep(ctx, 'workspace', undefined, async () => {
      const swept = await sweepWorkspaces(ctx.workspace, keepMs, FAILED_MARK);
      await freshWorkspace(ctx.workspace);
      await writeNewFile(join(ctx.workspace, 'PKGBUILD'), text, 0o644);
      for (const [name, bytes] of verified) {
        await writeNewFile(join(ctx.workspace, name), bytes, 0o644);
      }
      return {
        value: null,
        note: `${ctx.workspace}${swept.length ? ` (${swept.length} old failed workspaces removed)` : ''}`,
      };
    });

    // The package cache (agent/package): a cached build is unpacked instead of built here.
    const user = buildUser(options.buildOptions ?? {});
    const trust = { stateDir: options.stateDir, keys: options.verify?.keys ?? [] };
    const lookup = job.build
      ? await cacheStep(ctx, job.build, {
          entry,
          pkgbuild,
          text,
          platform: options.platform,
          carch,
          options: { nocheck: String(options.buildOptions?.noCheck ?? false) },
          fetchLocal: async (name) =>
            verified.get(name) ??
            (await ctx.edgeHttp.getBytes(`/workers/${worker}/files/${name}`, ctx.signal)),
        })
      : null;
    const built = lookup?.record
      ? await installFromCache(ctx, { ...lookup, record: lookup.record }, worker, trust, user)
      : await options.runBuild(ctx.workspace, {
          ...options.buildOptions,
          carch,
          onEvent: (event) => forwardBuildEvent(event, ctx),
          signal: ctx.signal,
          sourceBase: `${ctx.edgeHttp.base}/workers/${worker}/files/`,
        });
    if (lookup && !lookup.record && 'startdir' in built) {
      // The archive runs as the build user outside the sandbox: none of the agent's secrets.
      const env = buildEnv(options.buildOptions?.env, process.env);
      await archiveAndUpload(ctx, job, built, pkgbuild, lookup, carch, user, env, trust);
    }

    await runStep(ctx, 'install', ctx.installRoot, () =>
      exclusive(entry.id, async () => {
        ctx.signal.throwIfAborted();
        const previous = await readManifest(options.stateDir, entry.id);
        const report = await installTree({
          id: entry.id,
          pkgnames: built.pkgnames,
          version: 'version' in built ? built.version : fullVersion(built),
          pkgdirs: built.pkgdirs,
          root: ctx.installRoot,
          journalDir,
          ...(options.installLimits ? { limits: options.installLimits } : {}),
          ...(entry.install?.allow_setuid ? { allowSetuid: entry.install.allow_setuid } : {}),
          ...(entry.install?.allow_world_writable
            ? { allowWorldWritable: entry.install.allow_world_writable }
            : {}),
          backup: pkgbuild.pkgnames.flatMap((name) =>
            list(packageFields(pkgbuild, name, carch).backup),
          ),
          previous,
          binary: entry.install_path,
          record: (manifest) => writeManifest(options.stateDir, manifest),
        });
        for (const note of report.notes) await say(ctx, note);
        for (const f of report.manifest.files) await say(ctx, `installed /${f.path}`);
        for (const p of report.pacnew)
          await say(ctx, `warning: /${p} was changed: the new one is /${p}.pacnew`);
        for (const p of report.removed) await say(ctx, `removed /${p} (no longer shipped)`);
        for (const p of report.kept) await say(ctx, `kept /${p} (a backup file you changed)`);
        const from = previous ? ` (upgrade from ${previous.version})` : '';
        return {
          value: report,
          note: `${report.manifest.files.length} files, ${report.manifest.version}${from}`,
        };
      }),
    );

    await capabilities(ctx);
    return { outcome: 'succeeded' };
  };

  return async (job, ctx) => {
    try {
      const result =
        job.kind === 'uninstall'
          ? await uninstall(job.worker, ctx)
          : await install(job.worker, ctx, job);
      await runStep(ctx, 'cleanup', undefined, async () => {
        await rm(ctx.workspace, { recursive: true, force: true });
        return { value: null, note: `${ctx.workspace} removed` };
      });
      return result;
    } catch (error) {
      const cause = error instanceof StepError && error.cause ? error.cause : error;
      const result = jobFailure(cause instanceof BuildError ? cause : error, ctx.signal);
      await keepWorkspace(ctx, keepMs);
      if (error instanceof StepError && result.error && !(cause instanceof BuildError)) {
        result.error = { ...result.error, step: error.step };
      }
      return result;
    }
  };
}

/**
 * Step 11 on failure: the workspace stays for a person to look, marked for the sweep. The
 * build owns the workspace, so the mark is a new file (O_EXCL|O_NOFOLLOW): a symlink the build
 * planted there is refused, never followed.
 */
async function keepWorkspace(ctx: JobContext, keepMs: number) {
  let note = `workspace kept for ${Math.round(keepMs / 60000)} min: ${ctx.workspace}`;
  try {
    await writeNewFile(join(ctx.workspace, FAILED_MARK), `${new Date().toISOString()}\n`, 0o644);
  } catch (error) {
    // No workspace was made (the job failed before step 6): nothing to keep.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    // What the build left at the mark's name still ages it for the sweep (lstat, no follow).
    note = `${note} (not marked: ${(error as Error).message})`;
  }
  try {
    await ctx.emitStep({ step: 'cleanup', phase: 'start' });
    await ctx.emitStep({ step: 'cleanup', phase: 'end', ok: true, note });
  } catch {
    // The log is gone with the job: nothing more to say.
  }
}
