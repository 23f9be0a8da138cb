import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Agent, startAgent } from '../../agent/agent.ts';
import { EdgeUrlError, edgeUrls } from '../../agent/connection/edge-url.ts';
import { TrustError } from '../../agent/connection/trust.ts';
import { StateLockError } from '../../agent/jobs/state-lock.ts';
import { UnsupportedPlatformError } from '../../agent/platform/detect-platform.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';
import { sandboxFlagSpec, sandboxOptionsFrom, sandboxUsage } from './sandbox-flags.ts';

const usage = `usage: rbee agent --edge URL --token rbh_... [--state DIR] [--install-root DIR]

Runs the hive agent: dials the edge, holds one WebSocket open (reconnecting for ever, with
backoff), runs the install jobs the edge sends and streams their output back.

options:
  --edge URL           the edge's base URL, http(s):// or ws(s)://; the agent dials <URL>/agent
  --token TOKEN        the hive token (rbh_...); or set RBEE_TOKEN
  --state DIR          job ledger, log spool, workspaces (default ./.rbee/agent)
  --install-root DIR   where workers are installed (default / as root, ~/.local otherwise)
  --deps check|skip    check a worker's depends and makedepends on this hive first (default
                       check: a missing one refuses the job), or skip the check
  --keep-failed-workspace DURATION
                       how long a failed job's workspace is kept for a look: 90s, 30m, 24h,
                       7d, or 0 to delete at the next job (default 24h)
  --backoff-cap MS     longest wait between reconnects (default 30000)
  --max-jobs N         builds at the same time (default 1)
  --trust-key FILE     a fleet public key (rbee keys generate); repeatable. The agent builds
                       only what a trusted key signed (rbee catalog sign)
  --allow-unsigned     also run workers the edge serves no signed statement for: whoever
                       controls the edge is then root on this hive
  --ca FILE            a CA certificate (PEM) for an https edge with a private CA; repeatable
  --insecure           accept a plain http:// edge that is not on a loopback address
  -h, --help           show this help

${sandboxUsage}`;

/** Reads a flag that must be a positive integer. */
function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) {
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** `/` when the agent runs as root (a system install), `~/.local` for anyone else. */
export function defaultInstallRoot(): string {
  return process.getuid?.() === 0 ? '/' : join(homedir(), '.local');
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d`, `500ms` or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `--keep-failed-workspace must be a duration like 90s, 30m, 24h or 7d, got "${text}"`,
    );
  }
  return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
}

/** `rbee agent`: one hive's agent, until SIGINT or SIGTERM. */
export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the hive agent: dial the edge, build what it sends, stream the logs',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      edge: { type: 'string' },
      token: { type: 'string' },
      state: { type: 'string' },
      'install-root': { type: 'string' },
      'backoff-cap': { type: 'string' },
      'max-jobs': { type: 'string' },
      deps: { type: 'string' },
      'keep-failed-workspace': { type: 'string' },
      ...sandboxFlagSpec,
      'trust-key': { type: 'string', multiple: true },
      'allow-unsigned': { type: 'boolean' },
      ca: { type: 'string', multiple: true },
      insecure: { type: 'boolean' },
    });
    if (!values.edge)
      throw new UsageError('--edge URL is required (the edge, e.g. http://edge:8787)');
    try {
      edgeUrls(values.edge);
    } catch (error) {
      if (error instanceof EdgeUrlError) throw new UsageError(error.message);
      throw error;
    }
    const token = values.token ?? process.env.RBEE_TOKEN;
    if (!token)
      throw new UsageError('--token is required (the hive token, rbh_...), or set RBEE_TOKEN');
    if (!/^rbh_\S+$/.test(token)) {
      throw new UsageError('--token must be a hive token: rbh_ followed by its secret');
    }
    const sandbox = sandboxOptionsFrom(values);
    // The token stays in memory only: out of this process's environment and argv (/proc).
    delete process.env.RBEE_TOKEN;
    process.title = 'rbee agent';
    const backoffCapMs = positive('backoff-cap', values['backoff-cap']);
    const maxConcurrentJobs = positive('max-jobs', values['max-jobs']);
    const deps = values.deps ?? 'check';
    if (deps !== 'check' && deps !== 'skip') {
      throw new UsageError(`--deps must be check or skip, got "${deps}"`);
    }
    const keep = values['keep-failed-workspace'];
    const keepFailedWorkspaceMs = keep === undefined ? undefined : parseDuration(keep);
    let agent: Agent;
    try {
      agent = await startAgent({
        edge: values.edge,
        token,
        ...(values.state ? { stateDir: values.state } : {}),
        installRoot: values['install-root'] ?? defaultInstallRoot(),
        deps,
        sandbox,
        ...(keepFailedWorkspaceMs !== undefined ? { keepFailedWorkspaceMs } : {}),
        ...(backoffCapMs ? { backoffCapMs, backoffBaseMs: Math.min(500, backoffCapMs) } : {}),
        ...(maxConcurrentJobs ? { maxConcurrentJobs } : {}),
        trustKeys: values['trust-key'] ?? [],
        allowUnsigned: values['allow-unsigned'] ?? false,
        insecure: values.insecure ?? false,
        ca: values.ca ?? [],
      });
    } catch (error) {
      // Known refusals say what to do; anything else is a bug and keeps its stack.
      if (
        error instanceof StateLockError ||
        error instanceof UnsupportedPlatformError ||
        error instanceof TrustError ||
        error instanceof EdgeUrlError
      ) {
        process.stderr.write(`rbee agent: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await agent.stop();
    return 0;
  },
};
