import type { ProbeResult } from './probe.ts';

/** How many characters of stderr a ProbeError's message quotes; the whole of it is in `stderr`. */
const STDERR_IN_MESSAGE = 2000;

/**
 * A probe command that failed where the caller needed its answer. The message starts with
 * execa's reason (`Command failed with exit code 128: git tag -l …`) and ends with stderr.
 * @example
 * try { await probeOutput('git', ['rev-parse', 'HEAD']) } catch (e) {
 *   if (e instanceof ProbeError) console.error(e.command, e.exitCode, e.stderr);
 * }
 */
export class ProbeError extends Error {
  override name = 'ProbeError';
  /** The reason alone, without stderr. */
  readonly shortMessage: string;
  readonly command: string;
  readonly cwd: string;
  /** Undefined when the command could not start or was ended by a signal. */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly isCanceled: boolean;
  readonly isMaxBuffer: boolean;
  readonly stderr: string;
  readonly durationMs: number;

  constructor(result: ProbeResult) {
    const reason =
      typeof result.shortMessage === 'string'
        ? result.shortMessage
        : `Command failed: ${result.command}`;
    const stderr = result.stderr.trim();
    const quoted =
      stderr.length > STDERR_IN_MESSAGE ? `…${stderr.slice(-STDERR_IN_MESSAGE)}` : stderr;
    super(quoted ? `${reason}\n${quoted}` : reason, { cause: result });
    this.shortMessage = reason;
    this.command = result.command;
    this.cwd = result.cwd;
    this.exitCode = result.exitCode;
    this.signal = result.signal;
    this.timedOut = result.timedOut;
    this.isCanceled = result.isCanceled;
    this.isMaxBuffer = result.isMaxBuffer;
    this.stderr = result.stderr;
    this.durationMs = result.durationMs;
  }
}
