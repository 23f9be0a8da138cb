import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Agent, type AgentOptions, startAgent } from '../../agent/agent.ts';
import { EdgeUrlError, edgeUrls } from '../../agent/connection/edge-url.ts';
import { TrustError } from '../../agent/connection/trust.ts';
import { AgentExitError, EXIT } from '../../agent/enrol/exit-codes.ts';
import { obtainHiveToken } from '../../agent/enrol/hive-token.ts';
import { isMachineId } from '../../agent/enrol/machine-id.ts';
import { StateLockError } from '../../agent/jobs/state-lock.ts';
import { UnsupportedPlatformError } from '../../agent/platform/detect-platform.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';
import { sandboxFlagSpec, sandboxOptionsFrom, sandboxUsage } from './sandbox-flags.ts';

const usage = `usage: rbee agent --edge URL [--enrol rbe_... | --token-file FILE] [--state DIR] [--install-root DIR]

Runs the hive agent: dials the edge, holds one WebSocket open (reconnecting for ever, with
backoff), runs the install jobs the edge sends and streams their output back.

options:
  --edge URL           the edge's base URL, http(s):// or ws(s)://; the agent dials <URL>/agent
  --enrol TOKEN        an enrolment token (rbe_...): when the state folder has no hive token
                       yet, enrol this machine for one and keep it in <state>/hive.token (0600)
  --enrol-file FILE    the enrolment token from a file (or set RBEE_ENROL_TOKEN)
  --machine-id ID      this machine's identity for enrolment (default /etc/machine-id, else
                       one generated and kept in <state>/machine-id)
  --token-file FILE    the hive token (rbh_...) from a file; also read, in this order, from
                       $CREDENTIALS_DIRECTORY/hive.token (systemd), $RBEE_TOKEN (or the variable
                       --token-env names) and <state>/hive.token
  --token-env NAME     the environment variable that holds the hive token (default RBEE_TOKEN)
  --token TOKEN        the hive token on the command line: works, with a warning (ps shows it)
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
  --allow-agent-upgrades
                       with --trust-key: upgrade jobs may also replace this agent with a file
                       no fleet key signed (whoever controls the edge can then replace the
                       agent); without it only a file a trusted key signed (rbee agents sign)
                       is taken. A signature that is there is checked either way;
                       --allow-unsigned implies it
  --ca FILE            a CA certificate (PEM) for an https edge with a private CA; repeatable
  --insecure           accept a plain http:// edge that is not on a loopback address
  -h, --help           show this help

${sandboxUsage}

exit codes: 0 stopped, 75 temporary (edge unreachable at enrolment, or restarting after an
upgrade: start it again), 77 refused (enrolment or hive token unknown, used up, expired or
revoked: do not retry), 78 configuration (no token, unreadable token file).`;

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
  run: (argv) => runAgent(argv),
};

/** What the bundled agent adds to `rbee agent`: its version, and hooks for upgrades. */
export type AgentRunExtras = {
  version?: string;
  /** Called before the agent starts; `exit` stops it and ends the process with a code. */
  attach?: (context: AgentRunContext) => Promise<Pick<AgentOptions, 'onWelcome' | 'upgrade'>>;
};

export type AgentRunContext = {
  edge: string;
  token: string;
  stateDir: string;
  log: (line: string) => void;
  exit(code: number): void;
};

/** `rbee agent` (and `rbee-agent run`): resolves with the exit code. */
export async function runAgent(argv: string[], extras: AgentRunExtras = {}): Promise<number> {
  const { values } = parseFlags(argv, {
    edge: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'token-env': { type: 'string' },
    enrol: { type: 'string' },
    'enrol-file': { type: 'string' },
    'machine-id': { type: 'string' },
    state: { type: 'string' },
    'install-root': { type: 'string' },
    'backoff-cap': { type: 'string' },
    'max-jobs': { type: 'string' },
    deps: { type: 'string' },
    'keep-failed-workspace': { type: 'string' },
    ...sandboxFlagSpec,
    'trust-key': { type: 'string', multiple: true },
    'allow-unsigned': { type: 'boolean' },
    'allow-agent-upgrades': { type: 'boolean' },
    ca: { type: 'string', multiple: true },
    insecure: { type: 'boolean' },
  });
  if (!values.edge)
    throw new UsageError('--edge URL is required (the edge, e.g. http://edge:8787)');
  let http: string;
  try {
    http = edgeUrls(values.edge).http;
  } catch (error) {
    if (error instanceof EdgeUrlError) throw new UsageError(error.message);
    throw error;
  }
  const machine = values['machine-id'];
  if (machine !== undefined && !isMachineId(machine)) {
    throw new UsageError(`--machine-id must be 8-128 of [A-Za-z0-9._:-], got "${machine}"`);
  }
  const backoffCapMs = positive('backoff-cap', values['backoff-cap']);
  const maxConcurrentJobs = positive('max-jobs', values['max-jobs']);
  const deps = values.deps ?? 'check';
  if (deps !== 'check' && deps !== 'skip') {
    throw new UsageError(`--deps must be check or skip, got "${deps}"`);
  }
  const keep = values['keep-failed-workspace'];
  const keepFailedWorkspaceMs = keep === undefined ? undefined : parseDuration(keep);
  const sandbox = sandboxOptionsFrom(values);
  const stateDir = values.state ?? join('.rbee', 'agent');
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let token: string;
  try {
    token = await obtainHiveToken({
      edge: http,
      stateDir,
      tokenFile: values['token-file'],
      tokenEnv: values['token-env'],
      token: values.token,
      enrol: values.enrol,
      enrolFile: values['enrol-file'],
      machineId: machine,
      log,
    });
  } catch (error) {
    if (!(error instanceof AgentExitError)) throw error;
    process.stderr.write(`rbee agent: ${error.message}\n`);
    return error.exitCode;
  }
  // The token stays in memory only: out of this process's environment and argv (/proc).
  delete process.env.RBEE_TOKEN;
  if (values['token-env']) delete process.env[values['token-env']];
  process.title = 'rbee agent';
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const hooks =
    (await extras.attach?.({ edge: http, token, stateDir, log, exit: (code) => finish(code) })) ??
    {};
  let agent: Agent;
  try {
    agent = await startAgent({
      edge: values.edge,
      token,
      stateDir,
      installRoot: values['install-root'] ?? defaultInstallRoot(),
      deps,
      sandbox,
      trustKeys: values['trust-key'] ?? [],
      allowUnsigned: values['allow-unsigned'] ?? false,
      allowAgentUpgrades: values['allow-agent-upgrades'] ?? false,
      insecure: values.insecure ?? false,
      ca: values.ca ?? [],
      ...(extras.version ? { version: extras.version } : {}),
      ...hooks,
      onRefused: (why) => {
        process.stderr.write(`rbee agent: the edge refused this hive's token: ${why}\n`);
        finish(EXIT.NOPERM);
      },
      ...(keepFailedWorkspaceMs !== undefined ? { keepFailedWorkspaceMs } : {}),
      ...(backoffCapMs ? { backoffCapMs, backoffBaseMs: Math.min(500, backoffCapMs) } : {}),
      ...(maxConcurrentJobs ? { maxConcurrentJobs } : {}),
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
      return EXIT.CONFIG;
    }
    throw error;
  }
  process.once('SIGINT', () => finish(0));
  process.once('SIGTERM', () => finish(0));
  const code = await finished;
  await agent.stop();
  return code;
}
