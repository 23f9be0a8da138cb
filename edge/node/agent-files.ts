import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentBundle, AgentFiles } from '../routes/agent-files.ts';
import { nodeCliFile } from './cli-file.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `dist/rbee-agent.mjs` of this checkout (`npm run build:agent`), unless RBEE_AGENT_BUNDLE says. */
export const defaultBundlePath = () =>
  process.env.RBEE_AGENT_BUNDLE ?? join(repoRoot, 'dist', 'rbee-agent.mjs');

/** The version the build wrote in the bundle's second line: `// rbee-agent 0.1.0`. */
export function bundleVersion(bytes: Uint8Array): string | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 512));
  return /^\/\/ rbee-agent (\S{1,64})$/m.exec(head)?.[1] ?? null;
}

/**
 * The agent bundle and install.sh from disk, re-read when the file changes (size or mtime),
 * so `npm run build:agent` on a running edge serves the new agent at once.
 * @example createEdge({ ..., agentFiles: nodeAgentFiles() })
 */
export function nodeAgentFiles(
  bundlePath = defaultBundlePath(),
  installPath = join(repoRoot, 'scripts', 'install.sh'),
): AgentFiles {
  let cached: { key: string; bundle: AgentBundle } | null = null;
  return {
    async bundle() {
      const info = await stat(bundlePath).catch(() => null);
      if (!info?.isFile()) return null;
      const key = `${info.size}:${info.mtimeMs}`;
      if (cached?.key === key) return cached.bundle;
      const bytes = new Uint8Array(await readFile(bundlePath));
      const version = bundleVersion(bytes);
      if (!version) return null;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      cached = { key, bundle: { version, sha256, bytes } };
      return cached.bundle;
    },
    installScript: () => readFile(installPath, 'utf8').catch(() => null),
    cli: nodeCliFile(),
  };
}
