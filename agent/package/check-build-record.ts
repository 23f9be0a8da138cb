import type { PublicKey } from '../../shared/catalog/signature.ts';
import { BuildRecordError, sameFiles, verifyBuild } from '../../shared/repo/build-record.ts';
import type { PackageRecord } from '../../shared/repo/package-record.ts';
import { EdgeHttpError } from '../connection/edge-http.ts';
import { StepError, say } from '../install/step-runner.ts';
import type { JobContext } from '../jobs/job-pipeline.ts';

/** Who built a cached package, as far as this agent can tell. */
export type CheckedBuild = { hive: string; job: string; by: string };

const refuse = (error: BuildRecordError) => new StepError('verify', error.message, [error.rule]);

/** The builder set the edge serves (signed by the fleet key, it says), or null when it has none. */
async function fetchBuilderSet(ctx: JobContext): Promise<unknown> {
  try {
    const res = await ctx.edgeHttp.request('/agent/builders', { signal: ctx.signal });
    return await res.json();
  } catch (error) {
    if (error instanceof EdgeHttpError && error.code === 'NO_BUILDER_SET') return null;
    throw error;
  }
}

/**
 * Part of `verify` for a cached package: the edge's record must be the one a builder signed,
 * with a key in the builder set signed by a fleet key this agent trusts, for this cache key
 * and worker, naming the same files. An agent that trusts no key (`--allow-unsigned`) says so
 * and relies on the edge's record alone. Refusals lead with their rule (UNKNOWN_BUILDER, …).
 */
export async function checkBuildRecord(
  ctx: JobContext,
  record: PackageRecord,
  key: string,
  worker: string,
  trusted: PublicKey[],
): Promise<CheckedBuild> {
  if (trusted.length === 0) {
    await say(
      ctx,
      `UNVERIFIED: this agent trusts no fleet key (--allow-unsigned): the build record is the edge's word, not checked against a builder's signature`,
    );
    return { hive: record.built_by, job: record.job, by: `hive ${record.built_by} (unverified)` };
  }
  let checked: Awaited<ReturnType<typeof verifyBuild>>;
  try {
    checked = await verifyBuild({
      record: record.signed,
      builders: await fetchBuilderSet(ctx),
      trusted,
      key,
      worker,
    });
  } catch (error) {
    if (error instanceof BuildRecordError) throw refuse(error);
    throw error;
  }
  if (!sameFiles(checked.record.files, record.files))
    throw refuse(
      new BuildRecordError(
        'RECORD_MISMATCH',
        `the edge's record lists other package files than builder ${checked.builder.name} signed`,
      ),
    );
  const { builder } = checked;
  await say(
    ctx,
    `build record signed by builder ${builder.name} (${builder.hive}, key ${builder.key_id}), in the builder set signed by fleet key ${checked.setKey}`,
  );
  return {
    hive: checked.record.hive,
    job: checked.record.job,
    by: `builder ${builder.name}`,
  };
}
