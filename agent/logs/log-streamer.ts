import type { LogEntry } from '../../shared/protocol/index.ts';

type WithoutSeq<E> = E extends unknown ? Omit<E, 's'> : never;
/** A log entry before it is numbered. */
export type LogEntryBody = WithoutSeq<LogEntry>;
/** One `logs` frame, ready for the connection's send. */
export type LogFrame = { type: 'logs'; job: string; entries: LogEntry[] };

export type LogStreamerOptions = {
  job: string;
  /** Stores entries durably (the spool); called once per batch, before they are sent. */
  persist: (entries: LogEntry[]) => Promise<void>;
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

type Held = { entry: LogEntry; bytes: number };

/**
 * Numbers one job's log entries, writes them to the spool in batches, cuts them into `logs`
 * frames and keeps every entry until the edge acknowledges it. It is handed a `send` function
 * while a session is up and knows nothing about builds or sockets. When more than
 * `windowBytes` are unacknowledged, `append` returns a promise that settles once acks free
 * room: the build's output pipe waits on it, so nothing is ever dropped.
 * @example
 * const logs = new LogStreamer({ job, persist: (e) => spool.append(e) });
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
  /** Unacknowledged entries; `held[head]` carries seq `acked`. */
  private held: Held[] = [];
  private head = 0;
  private acked: number;
  private next: number;
  /** Entries below this seq are in the spool. */
  private persisted: number;
  /** Entries below this seq went out on the current session. */
  private sent: number;
  private send: ((frame: LogFrame) => boolean) | undefined;
  private heldBytes = 0;
  private produced = 0;
  private pendingBytes = 0;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private flushQueued = false;

  constructor(options: LogStreamerOptions) {
    this.job = options.job;
    this.persist = options.persist;
    this.onAcked = options.onAcked;
    this.onError = options.onError;
    this.options = { ...logStreamerDefaults, ...definedOnly(options) };
    this.acked = options.from ?? 0;
    for (const entry of options.retained ?? []) this.hold(entry);
    this.next = this.acked + this.held.length;
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
    return this.heldBytes;
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
    this.next++;
    const bytes = this.hold(entry);
    this.produced += bytes;
    this.pendingBytes += bytes;
    const pending = this.next - this.persisted;
    const full = this.heldBytes >= this.options.windowBytes;
    if (
      full ||
      pending >= this.options.maxFrameEntries ||
      this.pendingBytes >= this.options.maxFrameBytes
    ) {
      this.queueFlush();
    } else {
      this.timer ??= setTimeout(() => this.queueFlush(), this.options.flushDelayMs);
    }
    if (!full) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes and sends everything appended so far; resolves once it is in the spool. */
  flush(): Promise<void> {
    this.queueFlush();
    return this.chain;
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
    for (let s = this.acked; s < upTo; s++) this.heldBytes -= this.held[this.head++]!.bytes;
    this.acked = upTo;
    // Dropping from the front of a big array is O(n): do it in bulk, not per ack.
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
    if (this.sent < this.acked) this.sent = this.acked;
    this.onAcked?.(this.acked);
    if (this.heldBytes < this.options.windowBytes && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Stops the timer and lets any waiting producer go; the streamer is not used after this. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.send = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private hold(entry: LogEntry): number {
    const bytes = jsonBytesBound(entry);
    this.held.push({ entry, bytes });
    this.heldBytes += bytes;
    return bytes;
  }

  private queueFlush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.chain = this.chain.then(async () => {
      this.flushQueued = false;
      const from = this.persisted;
      const to = this.next;
      if (to === from) return;
      const start = this.head + (from - this.acked);
      const batch = this.held.slice(start, start + (to - from));
      for (const item of batch) this.pendingBytes -= item.bytes;
      try {
        await this.persist(batch.map((item) => item.entry));
      } catch (error) {
        this.onError?.(error as Error);
        throw error;
      }
      this.persisted = to;
      this.pump();
    });
    // A failed write is reported through onError; the next flush tries again from `persisted`.
    this.chain = this.chain.catch(() => undefined);
  }

  /** Sends persisted entries the edge has not been sent this session, in frames. */
  private pump() {
    const { maxFrameEntries, maxFrameBytes } = this.options;
    while (this.send && this.sent < this.persisted) {
      let index = this.head + (this.sent - this.acked);
      const last = this.head + (this.persisted - this.acked);
      const entries: LogEntry[] = [];
      let bytes = 0;
      while (index < last && entries.length < maxFrameEntries) {
        const item = this.held[index]!;
        if (entries.length > 0 && bytes + item.bytes > maxFrameBytes) break;
        entries.push(item.entry);
        bytes += item.bytes;
        index++;
      }
      if (!this.send({ type: 'logs', job: this.job, entries })) {
        this.send = undefined;
        return;
      }
      this.sent += entries.length;
    }
  }
}

/** Outside printable ASCII, a character may take up to 6 bytes as JSON (`\u001b`). */
const NOT_PLAIN = /[^\x20-\x7e]/;
/** `"` and `\` take two bytes as JSON. */
const ESCAPED = /["\\]/;

/**
 * An upper bound of an entry's size as a JSON line, without serialising it: frames are cut
 * and the window is counted by it, and it must never undercount (a frame over the edge's
 * limit would be refused for ever). Exact for plain text, generous for the rest.
 */
function jsonBytesBound(entry: LogEntry): number {
  if (entry.k === 'step') return Buffer.byteLength(JSON.stringify(entry), 'utf8') + 1;
  const text = entry.x;
  // {"s":…,"t":…,"k":"o","x":"…","c":1} plus the newline: at most 72 bytes around the text.
  if (NOT_PLAIN.test(text)) return text.length * 6 + 72;
  if (ESCAPED.test(text)) return text.length * 2 + 72;
  return text.length + 72;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
