/** The longest line delivered whole, in bytes without its newline (64 KiB). */
export const MAX_LINE_BYTES = 65_536;

const NL = 10;

/** Receives one line; `bytes` is its size in the pipe, newline included. May ask to wait. */
export type LineSink = (text: string, cut: boolean, bytes: number) => undefined | Promise<void>;

type Piece = { text: string; cut: boolean; bytes: number } | { marker: string };

/** What `run` stopped on: the chunk was used up, the sink asked to wait, or a step marker. */
export type RunOutcome = undefined | Promise<void> | 'marker';

/**
 * Cuts one pipe's bytes into lines. Chunks are queued by `push` and consumed by `run`, one
 * chunk per call, so a caller can interleave two pipes chunk by chunk and stop in the middle
 * of a chunk when the sink returns a promise (backpressure) or a step marker is found.
 *
 * Lines longer than MAX_LINE_BYTES are delivered in pieces of at most that size, cut on a
 * UTF-8 boundary: every piece but the last has `cut: true`, so nothing is dropped and the
 * pieces joined give the line back. A final line without a newline is delivered by `end`.
 *
 * Step markers (`\0rbee:<nonce>:<payload>\n`, written by the driver script) are taken out of
 * the stream; output written before one on the same line becomes a line of its own.
 *
 * Speed: the common chunk (no NUL byte) is decoded once, up to its last newline, and cut
 * with one native split; the per-line cost is one sink call.
 */
export class LineSplitter {
  private readonly queue: Buffer[] = [];
  private readonly arrivals: number[] = [];
  /** The decoded lines of the chunk being delivered, and where delivery stands. */
  private lines: string[] | null = null;
  private lineAt = 0;
  private textAscii = true;
  private textArrival = 0;
  /** Bytes after the chunk's last newline: the start of the next line. */
  private tail: Buffer | null = null;
  private pending: Buffer | null = null;
  private readonly outbox: Piece[] = [];
  /** Bytes queued and not yet consumed. */
  queuedBytes = 0;
  /** The payload of the marker that `run` last stopped on. */
  marker = '';

  constructor(
    private readonly sink: LineSink,
    private readonly markerPrefix?: Buffer,
  ) {}

  push(chunk: Buffer, arrival: number): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.arrivals.push(arrival);
    this.queuedBytes += chunk.length;
  }

  /** The arrival number of the next unconsumed chunk, or Infinity. */
  headArrival(): number {
    if (this.outbox.length) return -1;
    if (this.lines !== null) return this.textArrival;
    return this.queue.length ? this.arrivals[0]! : Number.POSITIVE_INFINITY;
  }

  hasWork(): boolean {
    return this.outbox.length > 0 || this.lines !== null || this.queue.length > 0;
  }

  /** Delivers the head chunk (or what is left of it). */
  run(): RunOutcome {
    const fromOutbox = this.drainOutbox();
    if (fromOutbox !== undefined) return fromOutbox;
    if (this.lines === null) {
      const chunk = this.queue[0];
      if (chunk === undefined) return undefined;
      this.textArrival = this.arrivals[0]!;
      this.queue.shift();
      this.arrivals.shift();
      this.queuedBytes -= chunk.length;
      if (this.markerPrefix !== undefined && chunk.indexOf(0) !== -1) this.lineByLine(chunk);
      else this.decode(chunk);
      const outcome = this.drainOutbox();
      if (outcome !== undefined) return outcome;
    }
    return this.deliverText();
  }

  /** The pipe is closed: a last line without a newline becomes a line. */
  end(): RunOutcome {
    if (this.pending !== null) {
      const line = this.pending;
      this.pending = null;
      this.slice(line, false);
    }
    return this.drainOutbox();
  }

  /** Common case: one decode for all whole lines of the chunk. */
  private decode(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NL);
    if (last === -1) {
      this.stash(chunk);
      return;
    }
    let start = 0;
    if (this.pending !== null) {
      const first = chunk.indexOf(NL);
      const line = Buffer.concat([this.pending, chunk.subarray(0, first)]);
      this.pending = null;
      this.slice(line, true);
      start = first + 1;
    }
    if (last + 1 < chunk.length) this.tail = chunk.subarray(last + 1);
    if (start <= last) {
      const text = chunk.toString('utf8', start, last);
      // Every multi-byte sequence decodes to fewer UTF-16 units than bytes.
      this.textAscii = text.length === last - start;
      // One native split beats a JavaScript indexOf/slice loop per line.
      this.lines = text.split('\n');
      this.lineAt = 0;
    } else this.takeTail();
  }

  private deliverText(): RunOutcome {
    const lines = this.lines;
    if (lines === null) return undefined;
    const sink = this.sink;
    const ascii = this.textAscii;
    const last = lines.length - 1;
    let i = this.lineAt;
    for (;;) {
      const line = lines[i]!;
      const bytes = ascii ? line.length : Buffer.byteLength(line);
      let result: RunOutcome;
      if (bytes > MAX_LINE_BYTES) {
        this.pieces(Buffer.from(line), true);
        result = this.drainOutbox();
      } else result = sink(line, false, bytes + 1) as RunOutcome;
      if (i === last) {
        this.lines = null;
        this.takeTail();
        if (result === undefined) result = this.drainOutbox();
        return result;
      }
      i++;
      if (result !== undefined) {
        this.lineAt = i;
        return result;
      }
    }
  }

  private takeTail(): void {
    if (this.tail === null) return;
    const tail = this.tail;
    this.tail = null;
    this.stash(tail);
  }

  /** A chunk that may hold a step marker: cut it with Buffer searches, line by line. */
  private lineByLine(chunk: Buffer): void {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl === -1) {
        this.stash(chunk.subarray(pos));
        return;
      }
      const part = chunk.subarray(pos, nl);
      const line = this.pending === null ? part : Buffer.concat([this.pending, part]);
      this.pending = null;
      this.slice(line, true);
      pos = nl + 1;
    }
  }

  /** Keeps an unfinished line; if it outgrows the cap, cuts whole pieces off its front. */
  private stash(part: Buffer): void {
    if (part.length === 0) return;
    this.pending = this.pending === null ? Buffer.from(part) : Buffer.concat([this.pending, part]);
    while (this.pending.length > MAX_LINE_BYTES) {
      // A marker line always ends with a newline soon; never cut one in two.
      if (this.markerPrefix !== undefined && this.pending.indexOf(this.markerPrefix) !== -1) return;
      const at = utf8Boundary(this.pending, MAX_LINE_BYTES);
      this.outbox.push({ text: this.pending.toString('utf8', 0, at), cut: true, bytes: at });
      this.pending = this.pending.subarray(at);
    }
  }

  /** Splits a finished line into its marker, if any, and pieces of at most MAX_LINE_BYTES. */
  private slice(line: Buffer, newline: boolean): void {
    if (this.markerPrefix !== undefined) {
      const at = line.indexOf(this.markerPrefix);
      if (at !== -1) {
        if (at > 0) this.pieces(line.subarray(0, at), false);
        this.outbox.push({ marker: line.toString('utf8', at + this.markerPrefix.length) });
        return;
      }
    }
    this.pieces(line, newline);
  }

  private pieces(line: Buffer, newline: boolean): void {
    let start = 0;
    while (line.length - start > MAX_LINE_BYTES) {
      const at = start + utf8Boundary(line.subarray(start), MAX_LINE_BYTES);
      this.outbox.push({ text: line.toString('utf8', start, at), cut: true, bytes: at - start });
      start = at;
    }
    const bytes = line.length - start + (newline ? 1 : 0);
    this.outbox.push({ text: line.toString('utf8', start), cut: false, bytes });
  }

  private drainOutbox(): RunOutcome {
    while (this.outbox.length) {
      const piece = this.outbox.shift()!;
      if ('marker' in piece) {
        this.marker = piece.marker;
        return 'marker';
      }
      const result = this.sink(piece.text, piece.cut, piece.bytes);
      if (result !== undefined) return result;
    }
    return undefined;
  }
}

/** The largest cut point at or below `max` that does not split a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, max: number): number {
  let at = max;
  // Continuation bytes are 10xxxxxx; a sequence is at most 4 bytes long.
  while (at > max - 3 && ((buf[at] ?? 0) & 0xc0) === 0x80) at--;
  return at;
}
