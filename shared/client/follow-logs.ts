import type { JobState } from '../protocol/job.ts';
import type { LogLine, LogStep } from '../protocol/log-entry.ts';
import { ApiError, errorFrom } from './api-error.ts';
import { readSseStream } from './sse.ts';

/** A job's public state, as `state` and `end` events carry it. */
export type JobStateEvent = {
  state: JobState;
  step: string | null;
  error: { message: string; step?: string; exit_code?: number | null } | null;
  cancel_requested: boolean;
};

/** What following a job's log yields, in order. */
export type LogEvent =
  | { type: 'lines'; lines: LogLine[] }
  | { type: 'step'; step: LogStep }
  | { type: 'state'; state: JobStateEvent }
  | { type: 'end'; state: JobStateEvent }
  /** The stream dropped and is being reopened from the last seq seen. */
  | { type: 'reconnecting'; attempt: number; error: string };

export type FollowOptions = {
  /** First seq to replay (default 0). */
  from?: number;
  signal?: AbortSignal;
  /** Reconnect attempts in a row before giving up (default 30); reset by every event. */
  maxRetries?: number;
  /** Delay before reconnect attempt n (default full-jitter backoff, 250 ms doubling to 5 s). */
  retryDelayMs?: (attempt: number) => number;
};

export type FollowContext = {
  edge: string;
  headers: () => Record<string, string>;
  fetch: typeof fetch;
};

const backoff = (attempt: number) => Math.random() * Math.min(5000, 250 * 2 ** attempt);

function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Follows a job's log over SSE until its `end` event, resuming with `Last-Event-ID` after a
 * dropped connection or an edge restart, so no line is lost or doubled. API refusals
 * (404, 401, 403) end it with an ApiError at once; only transport failures are retried.
 * @example for await (const e of followLogs(ctx, job, {})) if (e.type === 'lines') print(e.lines)
 */
export async function* followLogs(
  ctx: FollowContext,
  job: string,
  options: FollowOptions = {},
): AsyncGenerator<LogEvent> {
  let lastSeq = (options.from ?? 0) - 1;
  const maxRetries = options.maxRetries ?? 30;
  const delay = options.retryDelayMs ?? backoff;
  let attempt = 0;
  for (;;) {
    let failure: unknown;
    try {
      const headers: Record<string, string> = { ...ctx.headers(), Accept: 'text/event-stream' };
      if (lastSeq >= 0) headers['Last-Event-ID'] = String(lastSeq);
      const url = `${ctx.edge}/api/jobs/${encodeURIComponent(job)}/logs`;
      const init: RequestInit = { headers };
      if (options.signal) init.signal = options.signal;
      const res = await ctx.fetch(url, init);
      if (!res.ok) {
        const error = await errorFrom(res);
        if (res.status < 500) throw error;
        failure = error;
      } else {
        for await (const msg of readSseStream(res.body!)) {
          attempt = 0;
          if (msg.id !== undefined && /^\d+$/.test(msg.id)) lastSeq = Number(msg.id);
          if (msg.event === 'logs') {
            yield { type: 'lines', lines: JSON.parse(msg.data) as LogLine[] };
          } else if (msg.event === 'step') {
            yield { type: 'step', step: JSON.parse(msg.data) as LogStep };
          } else if (msg.event === 'state') {
            yield { type: 'state', state: JSON.parse(msg.data) as JobStateEvent };
          } else if (msg.event === 'end') {
            yield { type: 'end', state: JSON.parse(msg.data) as JobStateEvent };
            return;
          }
        }
        failure = new Error('the log stream closed before the job ended');
      }
    } catch (error) {
      if (error instanceof ApiError && error.status > 0 && error.status < 500) throw error;
      failure = error;
    }
    if (options.signal?.aborted) return;
    attempt++;
    const reason = failure instanceof Error ? failure.message : String(failure);
    if (attempt > maxRetries) {
      throw new ApiError(
        0,
        'UNREACHABLE',
        `following ${job} failed ${maxRetries} times: ${reason}`,
      );
    }
    yield { type: 'reconnecting', attempt, error: reason };
    await sleep(delay(attempt), options.signal);
    if (options.signal?.aborted) return;
  }
}
