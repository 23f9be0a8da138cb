import { ProtocolError, protocolError } from '../../shared/protocol/errors.ts';
import { joinBatches, type LogBatch, sliceBatch } from '../../shared/protocol/log-batch.ts';
import type { EdgeOptions } from '../options.ts';
import { LogGapError, type LogHead, type Store } from '../store/store.ts';
import type { LogBus } from './log-bus.ts';

/** What the ingest tells its connection. */
export type LogIngestHooks = {
  /** After each durable commit: everything before `nextSeq` is stored. */
  ack(job: string, nextSeq: number): void;
  /** Entries newly stored by a commit (for the metrics). */
  stored(entries: number, bytes: number, seconds: number): void;
  /** The job's writer stored everything it was handed and is idle. */
  drained(job: string, head: LogHead): Promise<void>;
  /**
   * The writer failed: SEQ_GAP when the store refused a hole, INTERNAL (with the store's error
   * as `cause`) when the store failed. Nothing of the failed commit is kept.
   */
  failed(error: ProtocolError, cause: unknown): void;
};

/** Where one job's log stands on this connection. */
export type LogPosition = {
  /** What the store holds. */
  readonly stored: LogHead;
  /** Whether a commit is in flight or frames are waiting for one. */
  readonly writing: boolean;
};

type AppendState = {
  stored: LogHead;
  /** The next seq a frame may add: stored plus pending. */
  expected: number;
  /** Batches validated and waiting for the writer, consecutive. */
  pending: LogBatch[];
  pendingBytes: number;
  writing: boolean;
};

/**
 * One connection's log intake: checks each frame against what is stored and pending (gap, the
 * job's byte cap, the window ahead of acks), then hands its new entries to the job's one writer.
 * Frames are not stored one by one: while a commit is in flight the next frames gather and go
 * in the next commit (group commit), so the store's latency does not cap the log rate. Acks
 * follow each commit; the bus wakes the job's readers.
 * @example
 * const ingest = new LogIngest(store, bus, options, { ack, stored, drained, failed });
 * await ingest.accept(job, frame.batch, frameBytes); // throws a ProtocolError naming the rule
 */
export class LogIngest {
  readonly #jobs = new Map<string, AppendState>();

  constructor(
    private readonly store: Store,
    private readonly bus: LogBus,
    private readonly options: Pick<EdgeOptions, 'maxLogBytesPerJob' | 'maxPendingLogBytes'>,
    private readonly hooks: LogIngestHooks,
  ) {}

  /** The job's position, if a log frame of it came on this connection. */
  position(job: string): LogPosition | undefined {
    return this.#jobs.get(job);
  }

  /**
   * Takes a validated frame of `size` bytes. Refuses (throws) before anything is stored; a
   * resend of what is stored or on its way is acknowledged and dropped.
   */
  async accept(job: string, batch: LogBatch, size: number): Promise<void> {
    let state = this.#jobs.get(job);
    if (!state) {
      const stored = await this.store.logHead(job);
      state = { stored, expected: stored.next, pending: [], pendingBytes: 0, writing: false };
      this.#jobs.set(job, state);
    }
    const first = batch.first;
    if (first > state.expected) {
      throw protocolError(
        'SEQ_GAP',
        `log entries start at seq ${first} but the log needs seq ${state.expected} first`,
      );
    }
    if (first + batch.count <= state.expected) {
      this.hooks.ack(job, state.stored.next);
      return;
    }
    // The frame's size stands in for what it adds: a frame is refused before it is stored.
    const cap = this.options.maxLogBytesPerJob;
    const held = state.stored.bytes + state.pendingBytes;
    if (held + size > cap) {
      throw protocolError(
        'LOG_TOO_LARGE',
        `job ${job}'s log would pass ${cap} bytes (${held} held, frame of ${size})`,
      );
    }
    // An agent keeps a bounded window of unacknowledged entries; one that does not is flooding.
    if (state.pendingBytes + size > this.options.maxPendingLogBytes) {
      throw protocolError(
        'FLOOD',
        `more than ${this.options.maxPendingLogBytes} bytes of log sent ahead of acks`,
      );
    }
    const fresh = sliceBatch(batch, state.expected);
    state.pending.push(fresh);
    state.expected += fresh.count;
    state.pendingBytes += size;
    if (!state.writing) void this.#write(job, state);
  }

  /** The job's one writer: stores everything pending in one append, acks, repeats. */
  async #write(job: string, state: AppendState) {
    state.writing = true;
    try {
      while (state.pending.length > 0) {
        const batch = joinBatches(state.pending);
        state.pending = [];
        state.pendingBytes = 0;
        const before = state.stored;
        const t0 = performance.now();
        state.stored = await this.store.appendLog(job, batch);
        const seconds = (performance.now() - t0) / 1000;
        this.hooks.stored(
          state.stored.next - before.next,
          state.stored.bytes - before.bytes,
          seconds,
        );
        this.hooks.ack(job, state.stored.next);
        if (state.stored.next !== before.next) this.bus.publish(job);
      }
      state.writing = false;
      await this.hooks.drained(job, state.stored);
    } catch (error) {
      state.writing = false;
      this.hooks.failed(asProtocolError(job, error), error);
    }
  }
}

/** A failed append as the refusal the agent gets. */
function asProtocolError(job: string, error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof LogGapError) return protocolError('SEQ_GAP', error.message);
  return protocolError(
    'INTERNAL',
    `the edge could not store the log of ${job}; nothing of the frames in that commit was kept`,
  );
}
