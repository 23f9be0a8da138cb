import {
  encodeLogsFramePrefix,
  type LogBatch,
  type LogEntry,
  sliceBatch,
} from '../../shared/protocol/index.ts';

type WithoutSeq<E> = E extends unknown ? Omit<E, 's'> : never;
/** A log entry before it is numbered. */
export type LogEntryBody = WithoutSeq<LogEntry>;
/** One `logs` message, serialised (from its batch's text), with the seqs it carries. */
export type LogFrame = { readonly first: number; readonly count: number; readonly encoded: string };

export type LogStreamerOptions = {
  job: string;
  /** Stores a batch durably (the spool); called once per batch, in order, before it is sent. */
  persist: (batch: LogBatch) => Promise<void>;
  /** The edge has stored everything below `nextSeq`; the spool may forget it. */
  onAcked?: (nextSeq: number) => void;
  /** `persist` failed: the entries are still held, but the log is no longer safe on disk. */
  onError?: (error: Error) => void;
  /** After a restart: the first unacknowledged seq and the entries from there on (spooled). */
  from?: number;
  retained?: LogEntry[];
  /** Most entries in one frame (default 4096). */
  maxFrameEntries?: number;
  /** Most bytes of entries in one frame (default 256 KiB; a single bigger entry goes alone). */
  maxFrameBytes?: number;
  /** How long a batch may wait for more entries before it is written and sent (default 15 ms). */
  flushDelayMs?: number;
  /** Bytes of unacknowledged entries held before `append` asks its caller to wait (default 4 MiB). */
  windowBytes?: number;
};

export const logStreamerDefaults = {
  maxFrameEntries: 4096,
  maxFrameBytes: 256 * 1024,
  flushDelayMs: 15,
  windowBytes: 4 * 1024 * 1024,
} as const;

/** A batch cut from the appended entries, waiting for the spool writer. */
type Cut = { first: number; count: number; bytes: number; entries: LogEntry[] };
/** A batch in the spool, held until the edge acknowledges all of it. */
type Held = LogBatch & { bytes: number };

/**
 * Numbers one job's log entries, cuts them into batches (by count, by size and by a short
 * delay), serialises each batch once, writes it to the spool and sends that same text as a
 * `logs` frame, keeping it until the edge acknowledges it. It is handed a `send` function
 * while a session is up and knows nothing about builds or sockets. When more than
 * `windowBytes` are unacknowledged, `append` returns a promise that settles once acks free
 * room: the build's output pipe waits on it, so nothing is ever dropped.
 * @example
 * const logs = new LogStreamer({ job, persist: (batch) => spool.append(batch) });
 * logs.resume((frame) => connection.send(frame), 0);
 * await logs.append({ t: Date.now(), k: 'o', x: 'compiling…' }); // may wait for acks
 * logs.ack(1);
 */
export class LogStreamer {
  readonly job: string;
  private readonly options: Required<
    Pick<LogStreamerOptions, 'maxFrameEntries' | 'maxFrameBytes' | 'flushDelayMs' | 'windowBytes'>
  >;
  private readonly persist: LogStreamerOptions['persist'];
  private readonly onAcked: LogStreamerOptions['onAcked'];
  private readonly onError: LogStreamerOptions['onError'];
  /** Entries appended since the last cut. */
  private pending: LogEntry[] = [];
  private pendingBytes = 0;
  /** Batches cut and not yet in the spool, oldest first. */
  private cuts: Cut[] = [];
  /** Batches in the spool and not acknowledged whole; `held[head]` is the oldest. */
  private held: Held[] = [];
  private head = 0;
  private acked: number;
  private next: number;
  /** Entries below this seq are in the spool. */
  private persisted: number;
  /** Entries below this seq went out on the current session. */
  private sent: number;
  private send: ((frame: LogFrame) => boolean) | undefined;
  /** Bytes (by the bound) of every entry not acknowledged: pending, cut and held. */
  private unacked = 0;
  private produced = 0;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  /** The spool writer's run, while it runs. */
  private writing: Promise<void> | undefined;
  private readonly prefix: string;
  private closed = false;

  constructor(options: LogStreamerOptions) {
    this.job = options.job;
    this.persist = options.persist;
    this.onAcked = options.onAcked;
    this.onError = options.onError;
    this.options = { ...logStreamerDefaults, ...definedOnly(options) };
    this.prefix = encodeLogsFramePrefix(this.job);
    this.acked = options.from ?? 0;
    this.next = this.acked;
    // Entries read back from the spool after a restart: held as if just written.
    for (const entry of options.retained ?? []) this.take(entry);
    this.cut();
    for (const cut of this.cuts) this.held.push(serialise(cut));
    this.cuts = [];
    this.persisted = this.next;
    this.sent = this.acked;
  }

  /** The seq the next entry gets: the number of entries produced so far. */
  get nextSeq(): number {
    return this.next;
  }

  /** The first seq the edge has not acknowledged. */
  get ackedSeq(): number {
    return this.acked;
  }

  /** Bytes (as JSON lines) of every entry this streamer numbered, acknowledged or not. */
  get producedBytes(): number {
    return this.produced;
  }

  /** Bytes of entries held until the edge acknowledges them. */
  get unackedBytes(): number {
    return this.unacked;
  }

  /**
   * Numbers an entry and queues it. Returns a promise when the window is full: wait on it
   * before producing more (it settles when acks make room); otherwise undefined.
   */
  append(body: LogEntryBody): Promise<void> | undefined {
    // Lines (nearly every entry) are built field by field: no spread on the hot path.
    const entry: LogEntry =
      body.k === 'step'
        ? ({ s: this.next, ...body } as LogEntry)
        : body.c
          ? { s: this.next, t: body.t, k: body.k, x: body.x, c: body.c }
          : { s: this.next, t: body.t, k: body.k, x: body.x };
    this.produced += this.take(entry);
    const full = this.unacked >= this.options.windowBytes;
    if (full || this.pending.length >= this.options.maxFrameEntries) this.write();
    else {
      // A batch cut because the entry did not fit goes now; the entry waits for company.
      if (this.cuts.length > 0) this.startWriter();
      this.timer ??= setTimeout(() => this.write(), this.options.flushDelayMs);
    }
    if (!full) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes and sends everything appended so far; resolves once it is in the spool. */
  async flush(): Promise<void> {
    this.write();
    while (this.writing) await this.writing;
  }

  /**
   * A session is up and the edge needs entries from `from` on: everything below is stored
   * there, everything from there is sent again, in frames, then new entries follow as they come.
   */
  resume(send: (frame: LogFrame) => boolean, from: number): void {
    this.send = send;
    this.ack(from);
    // The edge cannot need less than it acknowledged; if it claims so, it lost entries that are
    // gone here too, and the best left is to go on from what is held.
    this.sent = Math.max(this.acked, Math.min(from, this.persisted));
    this.pump();
  }

  /** The session ended: hold everything and send nothing until the next `resume`. */
  pause(): void {
    this.send = undefined;
  }

  /** The edge stored everything below `nextSeq`. Acks are cumulative; stale ones change nothing. */
  ack(nextSeq: number): void {
    const upTo = Math.min(nextSeq, this.persisted);
    if (upTo <= this.acked) return;
    this.acked = upTo;
    // A batch leaves (and its bytes free the window) once the edge has all of it.
    while (this.head < this.held.length) {
      const batch = this.held[this.head]!;
      if (batch.first + batch.count > upTo) break;
      this.unacked -= batch.bytes;
      this.held[this.head++] = undefined as unknown as Held;
    }
    if (this.head > 64 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
    if (this.sent < this.acked) this.sent = this.acked;
    this.onAcked?.(this.acked);
    if (this.unacked < this.options.windowBytes && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Stops the timer and lets any waiting producer go; the streamer is not used after this. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.send = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Numbers and queues one entry, cutting the batch first if the entry would not fit. */
  private take(entry: LogEntry): number {
    const bytes = jsonBytesBound(entry);
    if (
      this.pending.length >= this.options.maxFrameEntries ||
      (this.pending.length > 0 && this.pendingBytes + bytes > this.options.maxFrameBytes)
    ) {
      this.cut();
    }
    this.next++;
    this.pending.push(entry);
    this.pendingBytes += bytes;
    this.unacked += bytes;
    return bytes;
  }

  /** Closes the batch being gathered. */
  private cut() {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.cuts.push({
      first: entries[0]!.s,
      count: entries.length,
      bytes: this.pendingBytes,
      entries,
    });
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Cuts the batch being gathered and makes sure the writer runs. */
  private write() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cut();
    this.startWriter();
  }

  private startWriter() {
    if (!this.writing && this.cuts.length > 0) {
      this.writing = this.writer().finally(() => {
        this.writing = undefined;
      });
    }
  }

  /**
   * Writes the cut batches to the spool in order and sends what became durable. Every batch cut
   * so far is handed to `persist` at once (the spool writes them in order and lets them share
   * one fsync); a batch is held and sent only once its own persist resolved. A failure keeps it
   * and every later one first in line, and the writer tries again after a growing delay, so a
   * producer waiting on the window is never stuck behind a write nobody retries.
   */
  private async writer() {
    while (this.cuts.length > 0) {
      const batches = this.cuts.map(serialise);
      const results = await Promise.allSettled(batches.map((batch) => this.persist(batch)));
      for (let i = 0; i < batches.length; i++) {
        const result = results[i]!;
        if (result.status === 'rejected') {
          this.onError?.(result.reason as Error);
          this.pump();
          this.retryLater();
          return;
        }
        const batch = batches[i]!;
        this.cuts.shift();
        this.held.push(batch);
        this.persisted = batch.first + batch.count;
      }
      this.retryMs = 0;
      this.pump();
    }
  }

  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  private retryLater() {
    if (this.closed) return;
    this.retryMs = Math.min(Math.max(this.retryMs * 2, 100), 30_000);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.startWriter(), this.retryMs);
  }

  /** Sends the persisted entries the edge has not been sent this session, a batch a frame. */
  private pump() {
    const send = this.send;
    if (!send || this.sent >= this.persisted) return;
    // Most often the one batch just written; after a reconnect, from the batch holding `sent`.
    let index = this.held.length - 1;
    while (index > this.head && this.held[index]!.first > this.sent) index--;
    for (; index < this.held.length; index++) {
      const batch = this.held[index]!;
      const end = batch.first + batch.count;
      if (end <= this.sent) continue;
      // From the middle of a batch when the edge has its start (acked on an earlier session).
      const text = sliceBatch(batch, this.sent).text;
      const frame: LogFrame = {
        first: this.sent,
        count: end - this.sent,
        encoded: `${this.prefix}${text}}`,
      };
      if (!send(frame)) {
        this.send = undefined;
        return;
      }
      this.sent = end;
    }
  }
}

/** A cut batch serialised. */
function serialise(cut: Cut): Held {
  return {
    first: cut.first,
    count: cut.count,
    bytes: cut.bytes,
    text: JSON.stringify(cut.entries),
  };
}

/** Any character but printable ASCII other than `"` and `\`: one test finds a text that is not plain. */
const NOT_PLAIN_OR_ESCAPED = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
/** Outside printable ASCII, a character may take up to 6 bytes as JSON (`\u001b`). */
const NOT_PLAIN = /[^\x20-\x7e]/;

/**
 * An upper bound of an entry's size as a JSON line, without serialising it: frames are cut
 * and the window is counted by it, and it must never undercount (a frame over the edge's
 * limit would be refused for ever). Exact for plain text, generous for the rest.
 */
function jsonBytesBound(entry: LogEntry): number {
  if (entry.k === 'step') return Buffer.byteLength(JSON.stringify(entry), 'utf8') + 1;
  const text = entry.x;
  // {"s":…,"t":…,"k":"o","x":"…","c":1} plus the newline: at most 72 bytes around the text.
  if (!NOT_PLAIN_OR_ESCAPED.test(text)) return text.length + 72;
  // `"` and `\` take two bytes as JSON; anything outside printable ASCII up to six.
  return NOT_PLAIN.test(text) ? text.length * 6 + 72 : text.length * 2 + 72;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
