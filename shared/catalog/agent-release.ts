import { z } from 'zod';
import {
  type PublicKey,
  SignatureError,
  type SignedEnvelope,
  type SigningKey,
  signPayload,
  verifyEnvelope,
} from './signature.ts';

/**
 * The agent's one file, signed with the fleet key (`rbee agents sign`): its version, sha256 and
 * size. The edge stores and serves the signature and puts it in every upgrade job; an agent
 * that trusts fleet keys replaces itself only with a file whose sha256 a key it trusts signed,
 * so a compromised edge cannot hand it an agent of its own.
 */
export const AGENT_RELEASE_FORMAT = 'rbee-agent/1';

export const agentReleasePayloadSchema = z
  .object({
    format: z.literal(AGENT_RELEASE_FORMAT),
    version: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().nonnegative(),
    signed_at: z.number().int().nonnegative(),
  })
  .strict();
export type AgentReleasePayload = z.infer<typeof agentReleasePayloadSchema>;

/** Why an agent file is not taken; `rule` is the stable code the job's error starts with. */
export class AgentReleaseError extends Error {
  override name = 'AgentReleaseError';
  constructor(
    readonly rule:
      | 'UNSIGNED_AGENT'
      | 'BAD_AGENT_SIGNATURE'
      | 'AGENT_SIGNATURE_MISMATCH'
      | 'AGENT_FILE_CHANGED'
      | 'AGENT_DOWNGRADE',
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

/**
 * Signs an agent file's version, sha256 and size with the fleet key.
 * @example const envelope = await signAgentRelease({ version, sha256, size }, fleetKey, Date.now());
 */
export function signAgentRelease(
  release: { version: string; sha256: string; size: number },
  fleetKey: SigningKey,
  now: number,
): Promise<SignedEnvelope> {
  const payload: AgentReleasePayload = {
    format: AGENT_RELEASE_FORMAT,
    version: release.version,
    sha256: release.sha256,
    size: release.size,
    signed_at: now,
  };
  return signPayload(JSON.stringify(payload), fleetKey);
}

/** Reads the payload without checking who signed it (the edge, which holds no fleet key). */
export function readAgentRelease(envelope: SignedEnvelope): AgentReleasePayload {
  let raw: unknown;
  try {
    raw = JSON.parse(envelope.payload);
  } catch (error) {
    throw new AgentReleaseError(
      'BAD_AGENT_SIGNATURE',
      `the payload is not JSON: ${(error as Error).message}`,
    );
  }
  const parsed = agentReleasePayloadSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentReleaseError(
      'BAD_AGENT_SIGNATURE',
      `the payload is not an agent release (${AGENT_RELEASE_FORMAT}): ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/**
 * What an agent checks before it downloads an upgrade: a signature is there, by a key it
 * trusts, over the very version and sha256 the job names. Returns the signed release, whose
 * sha256 the download must then have.
 * @example const signed = await verifyAgentRelease({ signature, trusted, version, sha256 });
 */
export async function verifyAgentRelease(input: {
  signature: unknown;
  trusted: PublicKey[];
  version: string;
  sha256: string;
}): Promise<AgentReleasePayload> {
  if (input.signature === undefined || input.signature === null)
    throw new AgentReleaseError(
      'UNSIGNED_AGENT',
      `agent ${input.version} (sha256 ${input.sha256}) is not signed by a fleet key: admins sign it with rbee agents sign --key FLEET.key`,
    );
  let envelope: SignedEnvelope;
  try {
    envelope = await verifyEnvelope(input.signature, input.trusted);
  } catch (error) {
    if (error instanceof SignatureError)
      throw new AgentReleaseError(
        'BAD_AGENT_SIGNATURE',
        `the agent file's signature: ${error.message}`,
      );
    throw error;
  }
  const signed = readAgentRelease(envelope);
  if (signed.version !== input.version || signed.sha256 !== input.sha256)
    throw new AgentReleaseError(
      'AGENT_SIGNATURE_MISMATCH',
      `the job names agent ${input.version} (sha256 ${input.sha256}), the signature by key ${envelope.key_id} is for agent ${signed.version} (sha256 ${signed.sha256})`,
    );
  return signed;
}
