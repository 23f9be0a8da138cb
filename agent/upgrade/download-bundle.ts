import { createHash } from 'node:crypto';
import type { AgentRelease } from '../../shared/protocol/index.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/** Largest agent file accepted (default 64 MiB): the bundle is about 1 MiB. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export class UpgradeError extends Error {
  override name = 'UpgradeError';
}

/**
 * Downloads `GET /agent/rbee-agent.mjs` to `path` (mode 0755) and checks it: at most `maxBytes`
 * while reading, and its sha256 must be the one `expected` names (the upgrade job's, which the
 * verify step checked against the fleet key's signature) and the one in the response's header. Anything else removes nothing but the download and throws.
 */
export async function downloadBundle(
  edge: string,
  expected: AgentRelease,
  path: string,
  maxBytes = MAX_BUNDLE_BYTES,
): Promise<void> {
  const url = `${edge}/agent/rbee-agent.mjs`;
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok || !res.body) throw new UpgradeError(`GET ${url} answered ${res.status}`);
  const header = res.headers.get('X-Rbee-Agent-Sha256');
  const hash = createHash('sha256');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw new UpgradeError(`${url} is larger than ${maxBytes} bytes`);
    hash.update(chunk);
    chunks.push(chunk);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== expected.sha256 || (header !== null && header !== sha256)) {
    throw new UpgradeError(
      `AGENT_FILE_CHANGED: ${url} has sha256 ${sha256}, but the upgrade job names ${expected.sha256}${expected.signature ? ` (signed by fleet key ${expected.signature.key_id})` : ''}${header && header !== expected.sha256 ? ` and the response header says ${header}` : ''}: not installed`,
    );
  }
  await writeFileAtomic(path, Buffer.concat(chunks), { mode: 0o755 });
}
