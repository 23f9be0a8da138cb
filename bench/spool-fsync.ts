/**
 * What the spool's fsync costs the log path: the agent's LogStreamer fed as fast as it takes
 * lines, persisting to the agent's JobSpool (fsyncs shared by every batch in flight, as the
 * agent runs), next to the same bytes appended without any fsync, and to the same spool
 * with one fsync per line (what "durable before sent" costs without batching). Acks come back at once, so the edge
 * is not in the figure: only the agent side of "durable before sent".
 * Part of bench:logs (npm run bench:logs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogStreamer } from '../agent/logs/log-streamer.ts';
import { JobSpool } from '../agent/logs/spool.ts';
import type { LogBatch } from '../shared/protocol/index.ts';

export type SpoolFsyncFigures = {
  lines: number;
  /** lines/s with each mode. */
  batched: number;
  /** One fsync per line (a batch of one line each, appended one at a time), on `perLineLines`. */
  perLine: number;
  perLineLines: number;
  none: number;
  /** fsyncs the batched spool ran, against the batches it wrote. */
  batches: number;
  fsyncs: number;
};

/** Lines of one 64 KiB pipe read of short lines. */
const CHUNK_LINES = 5000;

type Persist = { persist: (batch: LogBatch) => Promise<void>; close(): Promise<void> };

/** Lines/s of `lines` lines through a LogStreamer onto `persist`, acked as soon as sent. */
async function run(lines: number, sink: Persist, maxFrameEntries?: number): Promise<number> {
  const logs = new LogStreamer({
    job: 'job_benchfsync',
    persist: sink.persist,
    ...(maxFrameEntries ? { maxFrameEntries } : {}),
  });
  logs.resume((frame) => {
    queueMicrotask(() => logs.ack(frame.first + frame.count));
    return true;
  }, 0);
  const start = performance.now();
  // As the agent reads a build's pipe: a chunk of lines at a time, the loop free in between.
  for (let i = 0; i < lines; ) {
    for (const end = Math.min(lines, i + CHUNK_LINES); i < end; i++) {
      const wait = logs.append({ t: Date.now(), k: 'o', x: `line ${i}` });
      if (wait) await wait;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await logs.flush();
  const ms = performance.now() - start;
  logs.close();
  await sink.close();
  return lines / (ms / 1000);
}

/** The agent's spool, with its fsyncs counted. */
function batchedSpool(dir: string, count: { batches: number; fsyncs: number }): Persist {
  const spool = new JobSpool(join(dir, 'batched'));
  return {
    persist: async (batch) => {
      count.batches++;
      await spool.append(batch);
    },
    close: () => spool.delete(),
  };
}

/** The same spool, one append at a time: every batch (here, every line) waits for its own fsync. */
function perLineSpool(dir: string): Persist {
  const spool = new JobSpool(join(dir, 'per-line'));
  let chain: Promise<void> = Promise.resolve();
  return {
    persist: (batch) => {
      chain = chain.then(() => spool.append(batch));
      return chain;
    },
    close: () => spool.delete(),
  };
}

/** The same lines appended to one file, never fsynced. */
function noFsync(dir: string): Persist {
  const handle = open(join(dir, 'no-fsync.log'), 'a', 0o600);
  let chain: Promise<unknown> = Promise.resolve();
  return {
    persist: (batch) => {
      chain = chain.then(async () => (await handle).write(`${batch.text}\n`));
      return chain.then(() => {});
    },
    close: async () => (await handle).close(),
  };
}

/** Counts the fsyncs of every FileHandle while `fn` runs. */
async function countingFsyncs<T>(count: { fsyncs: number }, fn: () => Promise<T>): Promise<T> {
  const probe = await open(join(tmpdir(), `rbee-fsync-probe-${process.pid}`), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  rmSync(join(tmpdir(), `rbee-fsync-probe-${process.pid}`), { force: true });
  const sync = proto.sync;
  proto.sync = function (this: unknown) {
    count.fsyncs++;
    return sync.call(this);
  };
  try {
    return await fn();
  } finally {
    proto.sync = sync;
  }
}

/** Runs the three modes on a folder of the real disk (`dir`, default under tmpdir()). */
export async function spoolFsyncBench(
  lines: number,
  dir = mkdtempSync(join(tmpdir(), 'rbee-bench-fsync-')),
): Promise<SpoolFsyncFigures> {
  try {
    await run(Math.min(lines, 100_000), noFsync(dir)); // warm-up: the JIT, the page cache
    const count = { batches: 0, fsyncs: 0 };
    const batched = await countingFsyncs(count, () => run(lines, batchedSpool(dir, count)));
    const none = await run(lines, noFsync(dir));
    // Thousands of fsyncs a second at best: a sample is enough for its rate.
    const perLineLines = Math.min(lines, 5000);
    const perLine = await run(perLineLines, perLineSpool(dir), 1);
    return {
      lines,
      batched,
      perLine,
      perLineLines,
      none,
      batches: count.batches,
      fsyncs: count.fsyncs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await spoolFsyncBench(Number(process.argv[2] ?? 500_000)));
}
