import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PublicKey } from '../../shared/catalog/signature.ts';
import type { Pkgbuild } from '../../shared/pkgbuild/index.ts';
import { signBuildRecord } from '../../shared/repo/build-record.ts';
import type { BuildMode, KeyFacts, PackageRecord } from '../../shared/repo/package-record.ts';
import type { BuildResult } from '../executor/index.ts';
import { runStep, StepError, say } from '../install/step-runner.ts';
import type { JobContext } from '../jobs/job-pipeline.ts';
import { builderKey, registerBuilderKey } from './builder-key.ts';
import { installCacheKey, type KeyContext } from './cache-key-inputs.ts';
import { checkBuildRecord } from './check-build-record.ts';
import { createPackages } from './create-package.ts';
import {
  downloadPackages,
  extractPackage,
  findCached,
  uploadPackages,
  verifyPackages,
} from './package-cache.ts';
import { fullVersion } from './package-info.ts';

export type CacheLookup = { key: string; facts: KeyFacts; record: PackageRecord | null };

/** What the cache steps trust and sign with: the fleet keys and the hive's own builder key. */
export type CacheTrust = {
  /** The state folder: the builder key is `<state>/builder.key`. */
  stateDir: string;
  /** The fleet's public keys (`--trust-key`); none: cached builds are not checked (loudly). */
  keys: PublicKey[];
};

/** What the install step needs, whether the trees were built here or unpacked from the cache. */
export type PackageTrees = {
  pkgnames: string[];
  pkgdirs: string[];
  version: string;
};

/**
 * The `cache` step: the install's cache key and, unless the mode is `always`, the edge's
 * record for it. `never` without a record fails here, naming the key.
 */
export async function cacheStep(
  ctx: JobContext,
  mode: BuildMode,
  k: KeyContext,
): Promise<CacheLookup> {
  return runStep(ctx, 'cache', `build: ${mode}`, async () => {
    const { key, facts } = await installCacheKey(k);
    await say(ctx, `cache key ${key}`);
    if (mode === 'always') return { value: { key, facts, record: null }, note: 'rebuild asked' };
    const record = await findCached(ctx.edgeHttp, key, ctx.signal);
    if (!record && mode === 'never') {
      throw new StepError(
        'cache',
        `No cached package of ${k.entry.id} for this platform (key ${key}) and build is never: build it on a hive of this kind first, or install with build: if-missing`,
      );
    }
    const note = record
      ? `hit: ${record.version}, built on hive ${record.built_by} by job ${record.job}`
      : 'miss: building here';
    return { value: { key, facts, record }, note };
  });
}

/** `download` and `verify` of a cached build, then the trees unpacked for the install step. */
export async function installFromCache(
  ctx: JobContext,
  lookup: CacheLookup & { record: PackageRecord },
  worker: string,
  trust: CacheTrust,
  user: { uid: number; gid: number } | undefined,
): Promise<PackageTrees> {
  const { record } = lookup;
  const dir = await mkdtemp(join(tmpdir(), 'rbee-cached-'));
  // The build user unpacks: it reads the verified files, and writes nothing here.
  await chmod(dir, 0o755);
  try {
    const paths = await runStep(
      ctx,
      'download',
      `${record.files.length} package files`,
      async () => {
        const value = await downloadPackages(ctx.edgeHttp, record, dir, ctx.signal);
        const bytes = record.files.reduce((n, f) => n + f.size, 0);
        return {
          value,
          note: `${record.files.map((f) => f.filename).join(', ')} (${bytes} bytes)`,
        };
      },
    );
    const built = await runStep(ctx, 'verify', 'build record and sha256', async () => {
      const value = await checkBuildRecord(ctx, record, lookup.key, worker, trust.keys);
      for (const line of await verifyPackages(record, paths)) await say(ctx, line);
      return { value, note: `${paths.length} files match the record of ${value.by}` };
    });
    const pkgdirs: string[] = [];
    for (const [i, f] of record.files.entries()) {
      const pkgdir = join(ctx.workspace, 'pkg', f.pkgname);
      await extractPackage(paths[i]!, pkgdir, user);
      pkgdirs.push(pkgdir);
    }
    await say(ctx, `installed from cache: built on hive ${built.hive} by job ${built.job}`);
    return { pkgnames: record.files.map((f) => f.pkgname), pkgdirs, version: record.version };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `archive` (makepkg's create_package) and `upload` to the edge's cache after a build. */
export async function archiveAndUpload(
  ctx: JobContext,
  job: { id: string; worker: string },
  built: BuildResult,
  pkgbuild: Pkgbuild,
  lookup: CacheLookup,
  carch: string,
  user: { uid: number; gid: number } | undefined,
  env: NodeJS.ProcessEnv,
  trust: CacheTrust,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rbee-packages-'));
  try {
    // Only builders fill the cache: the others neither archive nor upload (the edge refuses).
    const archived = await runStep(ctx, 'archive', undefined, async () => {
      const status = await registerBuilderKey(ctx.edgeHttp, trust.stateDir, ctx.signal);
      if (!status.builder)
        return {
          value: { status, files: [] },
          note: `skipped: hive ${status.hive} is not a builder`,
        };
      const epoch = Number(env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000));
      const value = await createPackages({
        startdir: built.startdir,
        pkgbuild,
        pkgver: built.pkgver,
        pkgrel: built.pkgrel,
        epoch: built.epoch,
        carch,
        destDir: dir,
        sourceDateEpoch: epoch,
        ...(user ? { user } : {}),
        env,
        signal: ctx.signal,
      });
      for (const f of value) await say(ctx, `${f.filename}: ${f.size} bytes, sha256 ${f.sha256}`);
      return { value: { status, files: value }, note: value.map((f) => f.filename).join(', ') };
    });
    const { status, files } = archived;
    if (!status.builder) {
      await runStep(ctx, 'upload', undefined, async () => ({
        value: null,
        note: `skipped (NOT_A_BUILDER): only hives an admin marked as builders (POST /api/hives/${status.hive}/builder) upload to the package cache`,
      }));
      return;
    }
    await runStep(ctx, 'upload', `key ${lookup.key}`, async () => {
      const key = await builderKey(trust.stateDir);
      const version = fullVersion(built);
      const record = await uploadPackages(
        ctx.edgeHttp,
        lookup.key,
        files,
        { worker: job.worker, version, facts: lookup.facts, job: job.id },
        (signedFiles) =>
          signBuildRecord(
            {
              key: lookup.key,
              worker: job.worker,
              version,
              hive: status.hive,
              job: job.id,
              built_at: Date.now(),
              files: signedFiles,
            },
            key.signing,
          ),
        ctx.signal,
      );
      return { value: null, note: `cached as ${record.key}, record signed with key ${key.id}` };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
