import type { JobError, JobOutcome, JobSpec } from '../../shared/protocol/index.ts';
import type { EdgeHttp } from '../connection/edge-http.ts';

/** A line of output for the job's log. Returns a promise when the log wants the producer to wait. */
export type EmitLine = (line: {
  stream: 'o' | 'e';
  text: string;
  /** The line was cut at the executor's line cap; the rest follows in the next line. */
  cut?: boolean;
  /** Milliseconds since the epoch; defaults to now. */
  ts?: number;
}) => void | Promise<void>;

/** A step starts or ends. A start also tells the edge which step the job is in. */
export type EmitStep = (step: {
  step: string;
  phase: 'start' | 'end';
  ok?: boolean;
  note?: string;
  ts?: number;
}) => void | Promise<void>;

/** Everything a pipeline may use; it never sees the socket or the spool. */
export type JobContext = {
  emitLine: EmitLine;
  emitStep: EmitStep;
  /** Aborted on cancel, on the job's timeout and when the agent stops; `reason` says which. */
  signal: AbortSignal;
  edgeHttp: EdgeHttp;
  /** A fresh, empty folder for this job: `<state>/work/<job>/`. */
  workspace: string;
  /** Where installed workers go (the install pipeline's concern). */
  installRoot: string;
};

/** What a job resumed after a restart may still write to its log. */
export type ResumeContext = Pick<JobContext, 'emitLine' | 'emitStep'>;

/**
 * Finishes a job that was running when the last agent stopped, when it knows how (an upgrade
 * ends in the agent it started): a promise of the outcome, or null to fail it as interrupted.
 */
export type ResumeJob = (job: JobSpec, ctx: ResumeContext) => Promise<JobResult> | null;

/** How a job ended; `error` says why when it did not succeed. */
export type JobResult = { outcome: JobOutcome; error?: JobError };

/**
 * Runs one job from start to end: the agent's is `createInstallPipeline`; a test or another
 * way to run jobs passes its own, so the job manager never depends on how a job is done.
 * @example const pipeline: JobPipeline = async (job, ctx) => ({ outcome: 'succeeded' });
 */
export type JobPipeline = (job: JobSpec, ctx: JobContext) => Promise<JobResult>;

/** Why a job's signal was aborted: the reason object the job manager passes to `abort`. */
export class JobStop extends Error {
  override name = 'JobStop';
  constructor(
    readonly why: 'cancel' | 'timeout' | 'log-too-large' | 'agent-stopping' | 'forgotten',
    message: string,
  ) {
    super(message);
  }
}
