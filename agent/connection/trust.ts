import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { type PublicKey, readPublicKey } from '../../shared/catalog/signature.ts';
import { requireTls } from './edge-url.ts';

/** The agent was started in a way that would trust what it must not; `rule` names how. */
export class TrustError extends Error {
  override name = 'TrustError';
  constructor(
    readonly rule: 'NO_TRUSTED_KEY' | 'BAD_TRUST_KEY' | 'BAD_CA',
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

export type TrustOptions = {
  edge: string;
  trustKeys?: string[];
  allowUnsigned?: boolean;
  insecure?: boolean;
  ca?: string[];
};

/**
 * Reads the agent's trust at start: the fleet's public keys, the CA certificates, and the two
 * loud opt-outs. Refuses to start with no key unless `--allow-unsigned`, and a plain-http edge
 * off loopback unless `--insecure` (EdgeUrlError INSECURE_EDGE).
 */
export async function loadTrust(
  options: TrustOptions,
  log: (line: string) => void,
): Promise<{ keys: PublicKey[]; allowUnsigned: boolean; ca?: string[] }> {
  if (requireTls(options.edge, options.insecure ?? false).insecure) {
    log(
      'rbee agent: WARNING --insecure: talking plain http to a non-loopback edge; the token and every job can be read and changed on the way (signed statements still hold)',
    );
  }
  const keys: PublicKey[] = [];
  for (const file of options.trustKeys ?? []) {
    try {
      keys.push(await readPublicKey(await readFile(file, 'utf8')));
    } catch (error) {
      throw new TrustError(
        'BAD_TRUST_KEY',
        `cannot use --trust-key ${file}: ${(error as Error).message}`,
      );
    }
  }
  const allowUnsigned = options.allowUnsigned ?? false;
  if (keys.length === 0 && !allowUnsigned) {
    throw new TrustError(
      'NO_TRUSTED_KEY',
      'the agent runs only what the fleet key signed: give --trust-key FILE (the fleet public key, rbee keys generate), or --allow-unsigned to run whatever the edge sends',
    );
  }
  if (allowUnsigned) {
    log(
      'rbee agent: WARNING --allow-unsigned: workers without a signed statement will run; whoever controls the edge is root on this hive',
    );
  }
  for (const key of keys) log(`rbee agent: trusting fleet key ${key.id}`);
  const ca: string[] = [];
  for (const file of options.ca ?? []) {
    try {
      ca.push(await readFile(file, 'utf8'));
    } catch (error) {
      throw new TrustError('BAD_CA', `cannot read --ca ${file}: ${(error as Error).message}`);
    }
  }
  // --ca adds to the system's roots; it does not replace them.
  return { keys, allowUnsigned, ...(ca.length ? { ca: [...rootCertificates, ...ca] } : {}) };
}
