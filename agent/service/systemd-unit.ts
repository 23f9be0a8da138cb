import { join } from 'node:path';
import { CREDENTIAL_NAME, HIVE_TOKEN_FILE } from '../enrol/token-source.ts';
import { agentArgs, type ServiceSpec } from './service-spec.ts';

export const SYSTEMD_UNIT_NAME = 'rbee-agent.service';

/**
 * One word of an Exec= line: systemd splits on spaces and expands `%` specifiers and `$`
 * variables, so those are doubled, and a word with anything unusual is double-quoted.
 */
export function systemdWord(word: string): string {
  const escaped = word.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A value on a line of its own (Description=, paths): no newline may break out of it. */
const line = (value: string) => {
  if (/[\n\r]/.test(value))
    throw new Error(`a systemd unit value cannot hold a newline: ${JSON.stringify(value)}`);
  return value.replaceAll('%', '%%');
};

/**
 * The systemd unit of the agent: after network-online, restarted on failure but not on 77
 * (token refused) or 78 (configuration), the hive token handed over with LoadCredential (so
 * `$CREDENTIALS_DIRECTORY/hive.token`, never argv), and the rollback script after each stop.
 * @example await writeFile('/etc/systemd/system/rbee-agent.service', systemdUnit(spec));
 */
export function systemdUnit(spec: ServiceSpec): string {
  const exec = [spec.node, ...agentArgs(spec)].map(systemdWord).join(' ');
  return `[Unit]
Description=rbee hive agent (dials ${line(spec.edge)})
Documentation=https://github.com/veighnsche/llama-orch
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=${line(spec.user)}
ExecStart=${exec}
ExecStopPost=${systemdWord(spec.rollback)}
LoadCredential=${CREDENTIAL_NAME}:${line(join(spec.stateDir, HIVE_TOKEN_FILE))}
Restart=on-failure
RestartSec=5
RestartPreventExitStatus=77 78
Environment=NODE_ENV=production

[Install]
WantedBy=multi-user.target
`;
}
