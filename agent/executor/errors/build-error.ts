import type { BuildStep } from '../events/build-event.ts';

/** What a BuildError knows about the failure; `reason` becomes the first line of the message. */
export type BuildErrorDetails = {
  reason: string;
  step: BuildStep;
  function?: string;
  exitCode?: number;
  signal?: string;
  timedOut?: boolean;
  canceled?: boolean;
  outputLimited?: boolean;
  durationMs: number;
  lastLines: string[];
};

/**
 * A build that did not finish. The message starts with the reason
 * (`build() failed with exit code 2`) and ends with the last lines of output.
 * @example
 * try { await runBuild(dir, opts) } catch (e) {
 *   if (e instanceof BuildError && e.timedOut) retryLater();
 * }
 */
export class BuildError extends Error {
  override name = 'BuildError';
  /** The reason alone, without the output lines. */
  readonly shortMessage: string;
  readonly step: BuildStep;
  /** The PKGBUILD function that failed (`build`, `package_foo`), if one did. */
  readonly function: string | undefined;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly canceled: boolean;
  /** The build printed more than `maxOutputBytes`. */
  readonly outputLimited: boolean;
  readonly durationMs: number;
  /** The last 20 lines of output (both streams, in order). */
  readonly lastLines: string[];

  constructor(details: BuildErrorDetails) {
    const tail = details.lastLines.length
      ? `\n\nLast lines of output:\n${details.lastLines.map((l) => `  ${l}`).join('\n')}`
      : '';
    super(`${details.reason}${tail}`);
    this.shortMessage = details.reason;
    this.step = details.step;
    this.function = details.function;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut ?? false;
    this.canceled = details.canceled ?? false;
    this.outputLimited = details.outputLimited ?? false;
    this.durationMs = details.durationMs;
    this.lastLines = details.lastLines;
  }
}
