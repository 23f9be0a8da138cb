import { AgentReleaseError, verifyAgentRelease } from '../../shared/catalog/agent-release.ts';
import type { PublicKey } from '../../shared/catalog/signature.ts';
import type { JobSpec } from '../../shared/protocol/index.ts';
import { isNewer } from '../../shared/protocol/version-compare.ts';
import { runStep } from '../install/step-runner.ts';
import type { JobContext } from '../jobs/job-pipeline.ts';

/** Which agent files this agent takes: signed by one of `keys`, or also unsigned ones. */
export type AgentFilePolicy = {
  keys: PublicKey[];
  /**
   * Take a file no fleet key signed (`--allow-agent-upgrades`, or `--allow-unsigned`, which
   * trusts the edge already). A signature that is there is still checked when there are keys.
   */
  acceptUnsigned: boolean;
  /** `--allow-agent-upgrades` or `--allow-unsigned`, for the log line. */
  why: string;
};

/**
 * The `verify` step of an upgrade job, before anything is downloaded: the fleet key's signature
 * over the job's version and sha256 (verifyAgentRelease), and no older version than the one
 * running, so an edge cannot replay an old signed agent. The download must then have that
 * sha256 (download-bundle.ts); the upgrade is refused at the first rule it breaks, with the
 * agent left as it is.
 */
export function verifyAgentFile(
  spec: JobSpec,
  ctx: JobContext,
  policy: AgentFilePolicy,
  running: string,
): Promise<void> {
  const target = spec.agent!;
  return runStep(ctx, 'verify', `rbee-agent ${target.version}`, async () => {
    if (policy.keys.length === 0 || (target.signature === undefined && policy.acceptUnsigned)) {
      const note = `UNVERIFIED: agent ${target.version} is taken on the edge's word (${target.signature ? 'signed, but this agent trusts no key' : 'not signed by a fleet key'}; ${policy.why})`;
      return { value: undefined, note };
    }
    const signed = await verifyAgentRelease({
      signature: target.signature,
      trusted: policy.keys,
      version: target.version,
      sha256: target.sha256,
    });
    if (isNewer(running, signed.version))
      throw new AgentReleaseError(
        'AGENT_DOWNGRADE',
        `agent ${signed.version} is older than this agent (${running}): an upgrade never goes back`,
      );
    return {
      value: undefined,
      note: `agent ${signed.version} (sha256 ${signed.sha256}) signed by fleet key ${target.signature!.key_id}`,
    };
  });
}
