import type { Rollout } from '../../shared/api/jobs.ts';
import type { Client } from '../../shared/client/create-client.ts';
import { exitForJob, exitForRollout } from './exit-codes.ts';
import { logPrinter } from './log-printer.ts';

/** Follows a job's log to its end, printing it; returns the exit status of its outcome. */
export async function followJob(client: Client, job: string, from = 0): Promise<number> {
  const print = logPrinter();
  for await (const event of client.followLogs(job, { from })) {
    print(event);
    if (event.type === 'end') return exitForJob(event.state.state);
  }
  return 1;
}

/** One line of a rollout's progress: counts by outcome. */
export const progressLine = (r: Rollout) => {
  const c = r.counts;
  const done = c.succeeded + c.failed + c.cancelled;
  return `rollout ${r.id} ${r.state}: ${done}/${c.total} done (${c.succeeded} succeeded, ${c.failed} failed, ${c.cancelled} cancelled, ${c.in_progress} in progress, ${c.waiting} waiting)`;
};

/**
 * Polls a rollout until it ends, showing a progress line (rewritten in place on a terminal,
 * one line per change when piped); returns the exit status of its final state.
 */
export async function followRollout(client: Client, id: string, intervalMs = 1000) {
  const tty = process.stderr.isTTY === true;
  let last = '';
  for (;;) {
    const rollout = await client.getRollout(id);
    const line = progressLine(rollout);
    if (line !== last) {
      process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      last = line;
    }
    if (rollout.state !== 'running') {
      if (tty) process.stderr.write('\n');
      return exitForRollout(rollout.state);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
