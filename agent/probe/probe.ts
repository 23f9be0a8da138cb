import { execa, type Result } from 'execa';
import { ProbeError } from './probe-error.ts';

/** Defaults for every limit of a probe; each is an option. */
export const PROBE_DEFAULTS = {
  /** A probe is a short question (`nvidia-smi`, `git tag -l`); 0 turns the timeout off. */
  timeoutMs: 30_000,
  /** Bytes of stdout, and of stderr, kept; more fails the probe with `isMaxBuffer`. */
  maxBuffer: 16 * 1024 * 1024,
  /** Between SIGTERM and SIGKILL when a probe times out or is canceled. */
  graceMs: 2_000,
} as const;

export type ProbeOptions = {
  cwd?: string;
  /** The whole environment of the command (default process.env); not merged with process.env. */
  env?: NodeJS.ProcessEnv;
  /** Run as this user (the agent must be root). */
  user?: { uid: number; gid: number };
  timeoutMs?: number;
  maxBuffer?: number;
  graceMs?: number;
  /** Ends the probe (SIGTERM, then SIGKILL after graceMs); the result has `isCanceled`. */
  signal?: AbortSignal;
};

type ExecaProbeOptions = {
  reject: false;
  stdin: 'ignore';
  extendEnv: false;
};

/**
 * What a probe did, in execa's result shape: `command`, `exitCode`, `signal`, `stdout`,
 * `stderr` (final newline stripped), `failed`, `timedOut`, `isCanceled`, `isMaxBuffer`,
 * `durationMs`, and on failure `shortMessage` and `code` (`ENOENT`: not installed).
 */
export type ProbeResult = Result<ExecaProbeOptions>;

/**
 * Runs a short command and resolves with its result, whatever its exit code: the caller
 * decides what a failure means. Never rejects for the command's sake.
 * @example
 * const res = await probe('pacman', ['-T', 'glibc>=2.31'], { timeoutMs: 10_000 });
 * if (res.exitCode === 0) satisfied(); else if (res.exitCode === undefined) throw new ProbeError(res);
 */
export function probe(
  file: string,
  args: readonly string[],
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  return execa(file, args, {
    reject: false,
    stdin: 'ignore',
    extendEnv: false,
    env: options.env ?? process.env,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    timeout: options.timeoutMs ?? PROBE_DEFAULTS.timeoutMs,
    maxBuffer: options.maxBuffer ?? PROBE_DEFAULTS.maxBuffer,
    forceKillAfterDelay: options.graceMs ?? PROBE_DEFAULTS.graceMs,
  });
}

/** The command is not installed (or not on PATH): a tool legitimately absent, not a failure. */
export function commandMissing(result: ProbeResult): boolean {
  return result.failed && result.code === 'ENOENT' && result.exitCode === undefined;
}

/**
 * Runs a probe whose answer is needed and resolves with its stdout, trimmed; any failure
 * (missing command, exit code other than 0, timeout) rejects with a ProbeError carrying the
 * command, exit code and stderr.
 * @example await probeOutput('git', ['config', '--get', 'remote.origin.url'], { cwd })
 */
export async function probeOutput(
  file: string,
  args: readonly string[],
  options: ProbeOptions = {},
): Promise<string> {
  const result = await probe(file, args, options);
  if (result.failed) throw new ProbeError(result);
  return result.stdout.trim();
}

/**
 * One line on why a probe failed: execa's reason, then the last line of stderr.
 * @example failureSummary(res) // 'Command failed with exit code 128: git tag -l v1: fatal: not a git repository'
 */
export function failureSummary(result: ProbeResult): string {
  const stderr = result.stderr.trim().split('\n').at(-1) ?? '';
  const reason = typeof result.shortMessage === 'string' ? result.shortMessage : result.command;
  return stderr ? `${reason}: ${stderr}` : reason;
}
