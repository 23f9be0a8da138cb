import { join } from 'node:path';

/** What a service definition runs: the same for systemd and launchd. */
export type ServiceSpec = {
  /** The node binary (absolute). */
  node: string;
  /** `<prefix>/rbee-agent.mjs`. */
  bundle: string;
  /** `<prefix>/bin/rbee-agent-rollback` (systemd ExecStopPost). */
  rollback: string;
  edge: string;
  stateDir: string;
  /** The user the agent runs as (root: it installs workers system-wide and sandboxes builds). */
  user: string;
  /** `--install-root` for the agent, when not its default. */
  installRoot?: string | undefined;
  /** The fleet public keys the agent trusts (`--trust-key`), copied under `<prefix>/trust/`. */
  trustKeys?: string[];
  /** `--allow-unsigned`: the agent runs workers no fleet key signed. */
  allowUnsigned?: boolean;
  /** `--allow-agent-upgrades`: upgrade jobs may replace the agent with a file no fleet key signed. */
  allowAgentUpgrades?: boolean;
};

/** The bundle and the rollback script under an install prefix (default /opt/rbee). */
export const prefixFiles = (prefix: string) => ({
  bundle: join(prefix, 'rbee-agent.mjs'),
  rollback: join(prefix, 'bin', 'rbee-agent-rollback'),
  /** The trusted fleet keys, one `<key id>.pub` each. */
  trust: join(prefix, 'trust'),
});

/** The agent's own arguments: no secret among them (the token is read from the state/credential). */
export const agentArgs = (spec: ServiceSpec) => [
  spec.bundle,
  'run',
  '--edge',
  spec.edge,
  '--state',
  spec.stateDir,
  ...(spec.installRoot ? ['--install-root', spec.installRoot] : []),
  ...(spec.trustKeys ?? []).flatMap((key) => ['--trust-key', key]),
  ...(spec.allowUnsigned ? ['--allow-unsigned'] : []),
  ...(spec.allowAgentUpgrades ? ['--allow-agent-upgrades'] : []),
];
