import type { Job } from '../api/jobs.ts';
import type { FollowOptions, JobStateEvent, LogEvent } from './follow-logs.ts';

export type InstallWorkerOptions = {
  /** Called with every event of the job's log while it runs. */
  onProgress?: (event: LogEvent) => void;
  timeout_ms?: number;
  signal?: AbortSignal;
};

export type InstallResult = { job: Job; final: JobStateEvent };

type Needs = {
  install(body: { hive: string; worker: string; timeout_ms?: number }): Promise<unknown>;
  followLogs(job: string, opts?: FollowOptions): AsyncGenerator<LogEvent>;
};

/**
 * Submits an install of `worker` on `hive` and streams it to the end: resolves with the job
 * and its final state (succeeded or not: check `final.state`); rejects with an ApiError when
 * the edge refuses the install.
 * @example const { final } = await installWorker(client, 'local', 'rbee-hello-worker', { onProgress: console.log });
 */
export async function installWorker(
  client: Needs,
  hive: string,
  worker: string,
  options: InstallWorkerOptions = {},
): Promise<InstallResult> {
  const body = { hive, worker, ...(options.timeout_ms ? { timeout_ms: options.timeout_ms } : {}) };
  const { job } = (await client.install(body)) as { job: Job };
  const follow: FollowOptions = options.signal ? { signal: options.signal } : {};
  for await (const event of client.followLogs(job.id, follow)) {
    options.onProgress?.(event);
    if (event.type === 'end') return { job, final: event.state };
  }
  throw new Error(`following ${job.id} stopped before the job ended`);
}
