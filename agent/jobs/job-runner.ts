import { join } from 'node:path';
import type { EdgeHttp } from '../connection/edge-http.ts';
import type { LogEntryBody } from '../logs/log-streamer.ts';
import type { ActiveJob } from './active-job.ts';
import { jobFailure } from './job-failure.ts';
import { type JobContext, type JobPipeline, type JobResult, JobStop } from './job-pipeline.ts';
import type { Ledger } from './ledger.ts';

export type JobRunnerOptions = {
  ledger: Ledger;
  pipeline: JobPipeline;
  edgeHttp: EdgeHttp;
  /** The agent's state folder; the job's workspace is `<state>/work/<job>/`. */
  stateDir: string;
  installRoot: string;
  /** Log bytes (as JSON) one job may produce before it is stopped as failed. */
  maxLogBytes: number;
  /** Tells the edge which step the job is in; false while no session is up. */
  reportStep: (job: string, step: string) => void;
};

/**
 * Runs one accepted job: marks it running, arms its timeout, hands the pipeline a context whose
 * lines and steps go into the job's log, and returns how it ended, or undefined when the job was
 * stopped without an outcome (the agent is stopping, or the edge forgot the job).
 * @example const result = await runJob(active, options); // { outcome: 'succeeded' }
 */
export async function runJob(
  active: ActiveJob,
  options: JobRunnerOptions,
): Promise<JobResult | undefined> {
  const { spec, logs } = active;
  const controller = active.controller ?? new AbortController();
  await options.ledger.update(spec.id, { state: 'running' });
  const timer =
    spec.timeout_ms === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(new JobStop('timeout', `job timed out after ${spec.timeout_ms} ms`)),
          spec.timeout_ms,
        );
  const { maxLogBytes } = options;
  const ctx: JobContext = {
    signal: controller.signal,
    edgeHttp: options.edgeHttp,
    workspace: join(options.stateDir, 'work', spec.id),
    installRoot: options.installRoot,
    emitLine: ({ stream, text, cut, ts }) => {
      const line: LogEntryBody = { t: ts ?? Date.now(), k: stream, x: text };
      if (cut) line.c = 1;
      const wait = logs.append(line);
      if (logs.producedBytes > maxLogBytes && !controller.signal.aborted) {
        // Fail loudly rather than cut the log short; the lines already produced are kept.
        controller.abort(new JobStop('log-too-large', `the job's log passed ${maxLogBytes} bytes`));
      }
      return wait;
    },
    emitStep: ({ step, phase, ok, note, ts }) => {
      const name = step.slice(0, 64) || 'step';
      if (phase === 'start') {
        active.step = name;
        options.reportStep(spec.id, name);
      }
      return logs.append({
        t: ts ?? Date.now(),
        k: 'step',
        step: name,
        phase,
        ...(ok !== undefined ? { ok } : {}),
        ...(note !== undefined ? { note: note.slice(0, 4096) } : {}),
      });
    },
  };
  let result: JobResult;
  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    result = await options.pipeline(spec, ctx);
    // A stop that came too late to interrupt anything does not change a finished result.
  } catch (error) {
    result = jobFailure(error, controller.signal);
  } finally {
    clearTimeout(timer);
  }
  active.controller = undefined;
  const stop = controller.signal.reason;
  if (stop instanceof JobStop && (stop.why === 'agent-stopping' || stop.why === 'forgotten')) {
    return undefined;
  }
  return result;
}
