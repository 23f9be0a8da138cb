import { type SignedEnvelope, signedEnvelopeSchema } from '../../shared/catalog/signature.ts';
import type { Store } from '../store/store.ts';

/**
 * The store's meta key of the fleet key's signature over one agent file, by its sha256: the
 * admins may sign a file before the edge serves it, and a rebuilt file needs a signature of
 * its own.
 */
export const agentSignatureMeta = (sha256: string) => `agent_signature:${sha256}`;

/** The signature stored for the agent file with this sha256 (the edge cannot check it). */
export async function readAgentSignature(
  store: Store,
  sha256: string,
): Promise<SignedEnvelope | null> {
  const text = await store.getMeta(agentSignatureMeta(sha256));
  if (text === null) return null;
  const parsed = signedEnvelopeSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}
