import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/** Largest agent file accepted (default 64 MiB): the bundle is about 1 MiB. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export class UpgradeError extends Error {
  override name = 'UpgradeError';
}

export type EdgeAgentVersion = { version: string; sha256: string; size: number };

/** `GET /agent/version`: the agent the edge serves; null when it serves none (404). */
export async function edgeAgentVersion(edge: string): Promise<EdgeAgentVersion | null> {
  const res = await fetch(`${edge}/agent/version`, { signal: AbortSignal.timeout(30_000) });
  if (res.status === 404) return null;
  if (!res.ok) throw new UpgradeError(`GET ${edge}/agent/version answered ${res.status}`);
  const body = (await res.json()) as Partial<EdgeAgentVersion>;
  if (typeof body.version !== 'string' || !/^[0-9a-f]{64}$/.test(String(body.sha256))) {
    throw new UpgradeError(`GET ${edge}/agent/version did not say a version and a sha256`);
  }
  return body as EdgeAgentVersion;
}

/**
 * Downloads `GET /agent/rbee-agent.mjs` to `path` (mode 0755) and checks it: at most `maxBytes`
 * while reading, and its sha256 must be the one `expected` names (from `/agent/version`) and the
 * one in the response's header. Anything else removes nothing but the download and throws.
 */
export async function downloadBundle(
  edge: string,
  expected: EdgeAgentVersion,
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
      `${url} has sha256 ${sha256}, but the edge announced ${expected.sha256}${header && header !== expected.sha256 ? ` and its header says ${header}` : ''}: not installed`,
    );
  }
  await writeFileAtomic(path, Buffer.concat(chunks), { mode: 0o755 });
}
