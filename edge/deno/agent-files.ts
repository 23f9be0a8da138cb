import { type AgentBundle, type AgentFiles, bundleVersion } from '../routes/agent-files.ts';

const hex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * The agent bundle and install.sh read with Deno's file API (the Node adapter's twin,
 * edge/node/agent-files.ts): `dist/rbee-agent.mjs` of this checkout unless RBEE_AGENT_BUNDLE
 * says, re-read when its size or mtime changes.
 * @example createEdge({ ..., agentFiles: denoAgentFiles() })
 */
export function denoAgentFiles(
  bundlePath: string | URL = Deno.env.get('RBEE_AGENT_BUNDLE') ??
    new URL('../../dist/rbee-agent.mjs', import.meta.url),
  installPath: string | URL = new URL('../../scripts/install.sh', import.meta.url),
): AgentFiles {
  let cached: { key: string; bundle: AgentBundle } | null = null;
  return {
    async bundle() {
      const info = await Deno.stat(bundlePath).catch(() => null);
      if (!info?.isFile) return null;
      const key = `${info.size}:${info.mtime?.getTime()}`;
      if (cached?.key === key) return cached.bundle;
      const bytes = await Deno.readFile(bundlePath);
      const version = bundleVersion(bytes);
      if (!version) return null;
      const sha256 = hex(await crypto.subtle.digest('SHA-256', bytes));
      cached = { key, bundle: { version, sha256, bytes } };
      return cached.bundle;
    },
    installScript: () => Deno.readTextFile(installPath).catch(() => null),
  };
}
