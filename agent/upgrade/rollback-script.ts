import { shellQuote as shQuote } from '../executor/driver/shell-quote.ts';
import { upgradeFiles } from './upgrade-files.ts';

/**
 * A POSIX sh script for systemd's `ExecStopPost=` (which sets `$EXIT_STATUS`): when the agent an
 * upgrade just put in place exits before its first welcome, with a code that is not a clean stop
 * or one of the agent's own (75, 77, 78), the previous bundle is put back and the service
 * manager's restart runs it. It lives outside the bundle because a broken bundle cannot roll
 * itself back.
 */
export function rollbackScript(bundle: string, stateDir: string): string {
  const f = upgradeFiles(bundle, stateDir);
  return `#!/bin/sh
# rbee-agent-rollback: written by 'rbee-agent install-service'. Puts the previous agent back
# when the one an upgrade installed fails before it connects (systemd ExecStopPost).
pending=${shQuote(f.pending)}
prev=${shQuote(f.prev)}
bundle=${shQuote(f.bundle)}
rolled=${shQuote(f.rolledBack)}
[ -f "$pending" ] || exit 0
case "\${EXIT_STATUS:-}" in
  0|75|77|78|TERM|INT|HUP) exit 0 ;;
esac
[ -f "$prev" ] || exit 0
mv -f "$prev" "$bundle" || exit 1
mv -f "$pending" "$rolled"
echo "rbee-agent-rollback: the upgraded agent exited with \${EXIT_STATUS:-?} before connecting; previous agent restored" >&2
exit 0
`;
}
