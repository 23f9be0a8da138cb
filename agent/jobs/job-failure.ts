import type { JobError } from '../../shared/protocol/index.ts';
import { BuildError } from '../executor/errors/build-error.ts';
import { type JobResult, JobStop } from './job-pipeline.ts';

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

/**
 * Makes a job error fit the wire schema (lengths and counts are bounded there): a field too
 * long would get the whole `job_done` refused, and resent, forever.
 */
export function fitJobError(error: JobError): JobError {
  return {
    message: clip(error.message, 4096),
    ...(error.step !== undefined ? { step: clip(error.step, 64) } : {}),
    ...(error.function !== undefined ? { function: clip(error.function, 128) } : {}),
    ...(error.exit_code !== undefined ? { exit_code: error.exit_code } : {}),
    ...(error.signal !== undefined
      ? { signal: error.signal === null ? null : clip(error.signal, 32) }
      : {}),
    ...(error.last_lines !== undefined
      ? { last_lines: error.last_lines.slice(-50).map((line) => clip(line, 65_536)) }
      : {}),
  };
}

/**
 * Turns whatever a pipeline threw into an outcome: a stop the job manager asked for wins
 * (cancel → cancelled, the job's timeout → timed_out), then the executor's own verdict
 * (`timedOut`, `canceled`), then failed.
 * @example jobFailure(new BuildError({ reason: 'build() failed with exit code 2', … }), signal)
 * // { outcome: 'failed', error: { message: 'build() failed…', step: 'build', exit_code: 2, … } }
 */
export function jobFailure(error: unknown, signal: AbortSignal): JobResult {
  const stop = signal.aborted && signal.reason instanceof JobStop ? signal.reason : undefined;
  const build = error instanceof BuildError ? error : undefined;
  const detail: JobError = build
    ? {
        message: build.shortMessage,
        step: build.step,
        ...(build.function ? { function: build.function } : {}),
        exit_code: build.exitCode ?? null,
        signal: build.signal ?? null,
        last_lines: build.lastLines,
      }
    : { message: error instanceof Error ? error.message : String(error) };
  if (stop?.why === 'cancel' || (!stop && build?.canceled)) {
    return {
      outcome: 'cancelled',
      error: fitJobError({ ...detail, message: stop?.message ?? detail.message }),
    };
  }
  if (stop?.why === 'timeout' || build?.timedOut) {
    return {
      outcome: 'timed_out',
      error: fitJobError({ ...detail, message: stop?.message ?? detail.message }),
    };
  }
  if (stop) return { outcome: 'failed', error: fitJobError({ ...detail, message: stop.message }) };
  return { outcome: 'failed', error: fitJobError(detail) };
}
