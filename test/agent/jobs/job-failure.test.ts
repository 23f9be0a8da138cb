import { describe, expect, test } from 'vitest';
import { BuildError } from '../../../agent/executor/index.ts';
import { fitJobError, jobFailure } from '../../../agent/jobs/job-failure.ts';
import { JobStop } from '../../../agent/jobs/job-pipeline.ts';
import { jobErrorSchema } from '../../../shared/protocol/index.ts';

const buildError = (extra: Partial<ConstructorParameters<typeof BuildError>[0]> = {}) =>
  new BuildError({
    reason: 'build() failed with exit code 2',
    step: 'build',
    function: 'build',
    exitCode: 2,
    durationMs: 10,
    lastLines: ['make: *** [all] Error 2'],
    ...extra,
  });

const live = () => new AbortController().signal;
const stopped = (why: JobStop['why'], message: string) => {
  const controller = new AbortController();
  controller.abort(new JobStop(why, message));
  return controller.signal;
};

describe('jobFailure', () => {
  test('a failed build: step, function, exit code, last lines', () => {
    expect(jobFailure(buildError(), live())).toEqual({
      outcome: 'failed',
      error: {
        message: 'build() failed with exit code 2',
        step: 'build',
        function: 'build',
        exit_code: 2,
        signal: null,
        last_lines: ['make: *** [all] Error 2'],
      },
    });
  });

  test("the executor's timedOut gives timed_out, canceled gives cancelled", () => {
    expect(jobFailure(buildError({ timedOut: true, reason: 'timed out' }), live()).outcome).toBe(
      'timed_out',
    );
    expect(jobFailure(buildError({ canceled: true, reason: 'canceled' }), live()).outcome).toBe(
      'cancelled',
    );
  });

  test("the job manager's stop wins, with its message, keeping the build's context", () => {
    const error = buildError({ canceled: true, signal: 'SIGTERM', exitCode: undefined });
    expect(jobFailure(error, stopped('cancel', 'cancelled by the edge'))).toMatchObject({
      outcome: 'cancelled',
      error: { message: 'cancelled by the edge', step: 'build', signal: 'SIGTERM' },
    });
    expect(jobFailure(error, stopped('timeout', 'job timed out after 5 ms'))).toMatchObject({
      outcome: 'timed_out',
      error: { message: 'job timed out after 5 ms', step: 'build' },
    });
  });

  test('anything else is failed with its message', () => {
    expect(jobFailure(new Error('EACCES: permission denied'), live())).toEqual({
      outcome: 'failed',
      error: { message: 'EACCES: permission denied' },
    });
    expect(jobFailure('odd', live())).toEqual({ outcome: 'failed', error: { message: 'odd' } });
  });
});

describe('fitJobError', () => {
  test('cuts every field to what the wire schema accepts', () => {
    const fitted = fitJobError({
      message: 'm'.repeat(5000),
      step: 's'.repeat(100),
      function: 'f'.repeat(200),
      signal: 'S'.repeat(40),
      exit_code: 1,
      last_lines: Array.from({ length: 60 }, (_, i) => (i === 59 ? 'x'.repeat(70_000) : `l${i}`)),
    });
    expect(jobErrorSchema.safeParse(fitted).success).toBe(true);
    expect(fitted.message).toHaveLength(4096);
    expect(fitted.last_lines).toHaveLength(50);
    expect(fitted.last_lines![0]).toBe('l10'); // the last lines are the ones kept
  });

  test('an error that already fits is unchanged', () => {
    const error = { message: 'ok', step: 'build', exit_code: null, signal: null };
    expect(fitJobError(error)).toEqual(error);
  });
});
