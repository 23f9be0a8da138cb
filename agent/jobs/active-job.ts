import type { JobSpec, LogEntry } from '../../shared/protocol/index.ts';
import { LogStreamer, type LogStreamerOptions } from '../logs/log-streamer.ts';
import type { JobSpool } from '../logs/spool.ts';

/** What the agent holds for one job the edge has not confirmed yet. */
export type ActiveJob = {
  spec: JobSpec;
  spool: JobSpool;
  logs: LogStreamer;
  /** Set while the job waits or runs; aborting it stops the build. */
  controller?: AbortController;
  /** The step running now, repeated to the edge after a reconnect. */
  step?: string;
  done?: Promise<void>;
};

/** Frame, batch and window sizes of each job's log. */
export type JobLogOptions = Pick<
  LogStreamerOptions,
  'maxFrameEntries' | 'maxFrameBytes' | 'flushDelayMs' | 'windowBytes'
>;

/**
 * Wires a job's log streamer to its spool: batches are written there before they are sent, and
 * acknowledged entries are trimmed from it. After a restart `from` and `retained` are what the
 * spool held.
 */
export function trackJob(
  spec: JobSpec,
  spool: JobSpool,
  options: {
    logs?: JobLogOptions;
    from?: number;
    retained?: LogEntry[];
    log: (line: string) => void;
  },
): ActiveJob {
  const { log } = options;
  const logs = new LogStreamer({
    ...options.logs,
    job: spec.id,
    from: options.from ?? 0,
    retained: options.retained ?? [],
    persist: (batch) => spool.append(batch),
    onAcked: (next) => {
      spool
        .trim(next)
        .catch((error: Error) =>
          log(`rbee agent: cannot trim the spool of ${spec.id}: ${error.message}`),
        );
    },
    onError: (error) => {
      log(`rbee agent: cannot write the log spool of ${spec.id}: ${error.message}`);
    },
  });
  return { spec, spool, logs };
}
