import { checkName } from '../../shared/catalog/names.ts';
import type { CatalogEntry } from '../../shared/catalog/schema.ts';
import { type PublicKey, SignatureError, sha256Hex } from '../../shared/catalog/signature.ts';
import { localFiles, openStatement, StatementError } from '../../shared/catalog/statement.ts';
import { parsePkgbuild } from '../../shared/pkgbuild/index.ts';
import type { JobSpec } from '../../shared/protocol/index.ts';
import { EdgeHttpError } from '../connection/edge-http.ts';
import type { JobContext } from '../jobs/job-pipeline.ts';
import { runStep, StepError, say } from './step-runner.ts';

/** What this agent trusts: the fleet's public keys, or explicitly nothing (`--allow-unsigned`). */
export type TrustPolicy = {
  keys: PublicKey[];
  /** Run jobs whose worker has no statement (loudly). Signed ones are still checked. */
  allowUnsigned: boolean;
  /** The hive this agent is, as the edge's welcome named it (undefined before one). */
  hive: () => string | undefined;
  now?: () => number;
};

/** Files the verify step checked, by name: the build uses these bytes, not a second download. */
export type VerifiedFiles = Map<string, Uint8Array>;

/** Stable codes of the job binding, beside SignatureError's and StatementError's rules. */
type BindingRule = 'JOB_WRONG_HIVE' | 'JOB_EXPIRED' | 'JOB_UNBOUND' | 'UNSIGNED';

const refuse = (rule: BindingRule, message: string) =>
  new StepError('verify', `${rule}: ${message}`, [rule]);

const fetchFile = (ctx: JobContext, worker: string, name: string) =>
  ctx.edgeHttp.getBytes(`/workers/${worker}/files/${encodeURIComponent(name)}`, ctx.signal);

/** The job is for this hive and still valid; a verifying agent needs its binding. */
function checkBinding(job: JobSpec, policy: TrustPolicy, now: number) {
  const hive = policy.hive();
  const signed = policy.keys.length > 0;
  if (signed && (job.hive === undefined || job.expires_at === undefined)) {
    throw refuse('JOB_UNBOUND', `job ${job.id} names no hive or expiry, so it could be a replay`);
  }
  if (job.hive !== undefined && hive !== undefined && job.hive !== hive) {
    throw refuse('JOB_WRONG_HIVE', `job ${job.id} was made for hive ${job.hive}, this is ${hive}`);
  }
  if (job.expires_at !== undefined && job.expires_at <= now) {
    throw refuse(
      'JOB_EXPIRED',
      `job ${job.id} expired at ${new Date(job.expires_at).toISOString()} (now ${new Date(now).toISOString()})`,
    );
  }
}

/**
 * The `verify` step: before anything of a job runs, the PKGBUILD it fetched and every file
 * that PKGBUILD names must match a statement signed by a trusted key, for this worker at this
 * version, not expired, the one the job names; and the job must be this hive's and current.
 * Returns the checked files so the build uses exactly those bytes. Every refusal starts with
 * its rule (UNSIGNED, UNTRUSTED_KEY, BAD_SIGNATURE, PKGBUILD_CHANGED, FILE_CHANGED, ...).
 * @example const files = await verifyStep(ctx, job, entry, pkgbuildText, policy);
 */
export function verifyStep(
  ctx: JobContext,
  job: JobSpec,
  entry: CatalogEntry,
  pkgbuildText: string,
  policy: TrustPolicy | undefined,
  carch: string,
): Promise<VerifiedFiles> {
  return runStep(ctx, 'verify', `signature of ${entry.id} ${entry.version}`, async () => {
    const files: VerifiedFiles = new Map();
    if (!policy) return { value: files, note: 'not checked (no trust policy given)' };
    const now = (policy.now ?? Date.now)();
    checkBinding(job, policy, now);
    let raw: Uint8Array;
    try {
      raw = await ctx.edgeHttp.getBytes(`/workers/${entry.id}/signature`, ctx.signal);
    } catch (error) {
      if (!(error instanceof EdgeHttpError) || error.status !== 404) throw error;
      if (!policy.allowUnsigned) {
        throw refuse(
          'UNSIGNED',
          `${entry.id} has no signed statement on the edge; this agent runs only what a trusted key signed (start it with --allow-unsigned to run unsigned catalogs)`,
        );
      }
      await say(ctx, `WARNING: ${entry.id} is UNSIGNED and runs only because of --allow-unsigned`);
      // Fetched here all the same, through the agent's own client (its --ca), so the build
      // never downloads from the edge itself.
      const parsed = parsePkgbuild(pkgbuildText, { carch });
      for (const name of localFiles(parsed)) {
        if (checkName(name)) continue; // the executor refuses it with its own reason
        files.set(name, await fetchFile(ctx, entry.id, name));
      }
      return { value: files, note: 'UNSIGNED: allowed by --allow-unsigned' };
    }
    try {
      let envelope: unknown;
      try {
        envelope = JSON.parse(new TextDecoder().decode(raw));
      } catch {
        throw new SignatureError('BAD_ENVELOPE', 'the signature file is not JSON');
      }
      const {
        statement,
        envelope: opened,
        digest,
      } = await openStatement(envelope, policy.keys, {
        worker: entry.id,
        version: entry.version,
        now,
      });
      if (job.statement !== undefined && job.statement !== digest) {
        throw new StatementError(
          'STATEMENT_DIGEST',
          `the job names statement ${job.statement.slice(0, 16)}…, the edge served ${digest.slice(0, 16)}…`,
        );
      }
      const text = await sha256Hex(pkgbuildText);
      if (text !== statement.pkgbuild) {
        throw new StatementError(
          'PKGBUILD_CHANGED',
          `the PKGBUILD served for ${entry.id} (sha256 ${text.slice(0, 16)}…) is not the signed one (${statement.pkgbuild.slice(0, 16)}…)`,
        );
      }
      // The PKGBUILD is the signed one, so the files it names are the ones to check.
      const parsed = parsePkgbuild(pkgbuildText, { carch });
      for (const name of localFiles(parsed)) {
        const want = statement.files[name];
        if (checkName(name)) {
          throw new StatementError('FILE_UNSIGNED', `${name} is not a plain file name`);
        }
        if (!want) {
          throw new StatementError(
            'FILE_UNSIGNED',
            `${name} is named by the PKGBUILD but not signed`,
          );
        }
        const bytes = await fetchFile(ctx, entry.id, name);
        const got = await sha256Hex(bytes);
        if (got !== want) {
          throw new StatementError(
            'FILE_CHANGED',
            `${name} served for ${entry.id} (sha256 ${got.slice(0, 16)}…) is not the signed one (${want.slice(0, 16)}…)`,
          );
        }
        files.set(name, bytes);
      }
      if (statement.unpinned) {
        await say(
          ctx,
          `WARNING: ${entry.id} was signed with --unpinned: some source is not pinned`,
        );
      }
      const pins = statement.vcs.map((v) => `${v.commit.slice(0, 12)}`).join(', ');
      return {
        value: files,
        note: `signed by ${opened.key_id}: PKGBUILD and ${files.size} files match${pins ? `, pinned to ${pins}` : ''}`,
      };
    } catch (error) {
      if (error instanceof SignatureError || error instanceof StatementError) {
        throw new StepError('verify', error.message, [error.rule]);
      }
      throw error;
    }
  });
}
