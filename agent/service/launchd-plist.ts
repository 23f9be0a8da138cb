import { join } from 'node:path';
import { agentArgs, type ServiceSpec } from './service-spec.ts';

export const LAUNCHD_LABEL = 'dev.rbee.agent';
export const LAUNCHD_PLIST = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;

const xml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/**
 * The launchd daemon of the agent (macOS). launchd has no RestartPreventExitStatus: KeepAlive
 * with SuccessfulExit=false restarts it after any failing exit, at most every 10 s.
 */
export function launchdPlist(spec: ServiceSpec): string {
  const args = [spec.node, ...agentArgs(spec)]
    .map((a) => `    <string>${xml(a)}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>UserName</key>
  <string>${xml(spec.user)}</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>10</integer>
  <key>StandardOutPath</key>
  <string>${xml(join(spec.stateDir, 'agent.log'))}</string>
  <key>StandardErrorPath</key>
  <string>${xml(join(spec.stateDir, 'agent.log'))}</string>
</dict>
</plist>
`;
}
