import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentBundle } from '../routes/agent-files.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `dist/rbee.mjs` of this checkout (`npm run build:cli`), unless RBEE_CLI_BUNDLE says. */
export const defaultCliPath = () =>
  process.env.RBEE_CLI_BUNDLE ?? join(repoRoot, 'dist', 'rbee.mjs');

/** The version scripts/build-cli.ts wrote near the top: `// rbee-cli 0.1.0`. */
export function cliVersion(bytes: Uint8Array): string | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 512));
  return /^\/\/ rbee-cli (\S{1,64})$/m.exec(head)?.[1] ?? null;
}

/**
 * The CLI bundle from disk, re-read when the file changes (size or mtime), so a rebuilt CLI is
 * served without a restart; null while there is none (or it is not a CLI bundle).
 */
export function nodeCliFile(path?: string): () => Promise<AgentBundle | null> {
  let cached: { key: string; file: AgentBundle } | null = null;
  return async () => {
    const file = path ?? defaultCliPath();
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return null;
    const key = `${file}:${info.size}:${info.mtimeMs}`;
    if (cached?.key === key) return cached.file;
    const bytes = new Uint8Array(await readFile(file));
    const version = cliVersion(bytes);
    if (!version) return null;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    cached = { key, file: { version, sha256, bytes } };
    return cached.file;
  };
}
