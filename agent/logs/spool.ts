import { type FileHandle, mkdir, open, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogBatch, LogEntry } from '../../shared/protocol/index.ts';

/** What a job's spool held when it was read back. */
export type SpoolContents = {
  /** The seq of the first entry kept (everything below was acknowledged by the edge). */
  from: number;
  /** The entries from `from` on, consecutive. */
  entries: LogEntry[];
};

export type SpoolOptions = {
  /** Start a new segment file once the current one holds this many bytes (default 1 MiB). */
  segmentBytes?: number;
  /**
   * How long an append waits for space on a full disk (ENOSPC, EDQUOT) before it fails
   * (default 10 min). While it waits, the job's log window fills and the build's output waits.
   */
  fullDiskWaitMs?: number;
  /** Called once when an append starts waiting for space, and once when it can write again. */
  onFull?: (dir: string, waiting: boolean, error: Error) => void;
};

export const SPOOL_DEFAULTS = { segmentBytes: 1024 * 1024, fullDiskWaitMs: 10 * 60 * 1000 };

const FULL = new Set(['ENOSPC', 'EDQUOT']);

/** Segment files are named by their first seq, zero-padded so that names sort by number. */
const segmentName = (first: number) => `${String(first).padStart(16, '0')}.log`;
const SEGMENT = /^(\d{16})\.log$/;

type Segment = { first: number; path: string };

/**
 * One job's unacknowledged log entries on disk: a folder of segment files, each named by the
 * seq of its first entry and holding one batch per line (a JSON array of consecutive entries,
 * exactly the text a `logs` frame carries, so a batch is serialised once). Nothing is ever
 * rewritten: appends go to the newest segment, a new one starts past `segmentBytes`, and a
 * segment the edge acknowledged whole is deleted. The newest segment always stays, so its name
 * keeps the numbering even when every entry was acknowledged. Every operation runs in order on
 * one queue, so an append never races a trim.
 * @example
 * const spool = new JobSpool('/var/lib/rbee/spool/job_x');
 * const { from, entries } = await spool.load(); // after a restart: what the edge may still need
 * await spool.append(logBatch([{ s: 0, t: Date.now(), k: 'o', x: 'hello' }]));
 * await spool.trim(1); // the edge stored entry 0
 */
export class JobSpool {
  readonly dir: string;
  private readonly segmentBytes: number;
  private readonly fullDiskWaitMs: number;
  private readonly onFull: SpoolOptions['onFull'];
  /** A segment a failed append could not cut back yet: cut it before anything else is written. */
  private repair: { path: string; bytes: number } | undefined;
  /** Appends written, and appends known to be on disk (fsynced). */
  private written = 0;
  private synced = 0;
  private syncing: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Segments on disk, oldest first; the last is the one appended to. */
  private segments: Segment[] | undefined;
  private handle: FileHandle | undefined;
  /** Bytes in the last segment. */
  private tailBytes = 0;
  private next = 0;

  constructor(dir: string, options: SpoolOptions = {}) {
    this.dir = dir;
    this.segmentBytes = options.segmentBytes ?? SPOOL_DEFAULTS.segmentBytes;
    this.fullDiskWaitMs = options.fullDiskWaitMs ?? SPOOL_DEFAULTS.fullDiskWaitMs;
    this.onFull = options.onFull;
  }

  /** Seq the next appended entry must carry. */
  get nextSeq(): number {
    return this.next;
  }

  /**
   * Reads every segment back (none means empty, from 0) and leaves only what can be trusted:
   * a batch torn by a crash mid-write is cut off, and anything after a break in the numbering
   * is dropped, since the edge can only use consecutive entries.
   */
  load(): Promise<SpoolContents> {
    return this.run(() => this.read());
  }

  /** What `load` does, on the queue already. */
  private async read(): Promise<SpoolContents> {
    await this.closeHandle();
    const segments = await this.list();
    const entries: LogEntry[] = [];
    const from = segments[0]?.first ?? 0;
    let next = from;
    let kept = 0;
    let tailBytes = 0;
    for (const segment of segments) {
      if (segment.first !== next) break; // a segment missing in between
      const text = await readFile(segment.path, 'utf8');
      let at = 0;
      let whole = true;
      while (at < text.length) {
        const end = text.indexOf('\n', at);
        const batch = end === -1 ? undefined : readBatch(text.slice(at, end), next);
        if (!batch) {
          whole = false;
          break;
        }
        for (const entry of batch) entries.push(entry);
        next += batch.length;
        at = end + 1;
      }
      kept++;
      tailBytes = Buffer.byteLength(text.slice(0, at));
      this.repair = undefined;
      if (!whole) {
        await truncate(segment.path, tailBytes);
        break;
      }
    }
    for (const dropped of segments.slice(kept)) await rm(dropped.path, { force: true });
    this.segments = segments.slice(0, kept);
    this.tailBytes = tailBytes;
    this.next = next;
    return { from, entries };
  }

  /**
   * Appends one batch and resolves once it is on disk (fsynced): only then may it be sent.
   * Appends that come while an fsync runs share the next one, so a busy log costs one fsync
   * per round, not per batch. A short or failed write is cut back to the last whole batch
   * before anything else is written; on a full disk the append waits for space (up to
   * `fullDiskWaitMs`) and then writes the batch whole, so no line is lost or doubled.
   */
  async append(batch: LogBatch): Promise<void> {
    const ticket = await this.run(() => this.write(batch));
    if (ticket > 0) await this.durable(ticket);
  }

  /** Writes the batch (on the queue); returns its write number for `durable`, 0 if empty. */
  private async write(batch: LogBatch): Promise<number> {
    if (batch.count === 0) return 0;
    const segments = await this.known();
    if (batch.first !== this.next) {
      throw new Error(
        `Cannot append seq ${batch.first} to spool ${this.dir}: the next seq is ${this.next}`,
      );
    }
    const line = Buffer.from(`${batch.text}\n`);
    let waitingSince: number | undefined;
    for (let delay = 10; ; delay = Math.min(delay * 2, 1000)) {
      try {
        await this.cutBack();
        if (!this.handle || this.tailBytes >= this.segmentBytes) {
          await this.closeHandle();
          if (segments.length === 0 || this.tailBytes >= this.segmentBytes) {
            await mkdir(this.dir, { recursive: true, mode: 0o700 });
            const path = join(this.dir, segmentName(batch.first));
            // A new segment's name must survive a crash too: fsync the folder once.
            await (await open(path, 'a', 0o600)).close();
            await syncDir(this.dir);
            segments.push({ first: batch.first, path });
            this.tailBytes = 0;
          }
          this.handle = await open(segments[segments.length - 1]!.path, 'a', 0o600);
        }
        await this.writeAll(this.handle, segments[segments.length - 1]!.path, line);
        break;
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (!FULL.has(e.code ?? '')) throw error;
        waitingSince ??= Date.now();
        if (delay === 10) this.onFull?.(this.dir, true, e);
        if (Date.now() - waitingSince >= this.fullDiskWaitMs) {
          throw new Error(
            `Cannot write the log spool ${this.dir}: no space left for ${this.fullDiskWaitMs} ms (${e.code}); the batch from seq ${batch.first} is held in memory and tried again`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    if (waitingSince !== undefined) this.onFull?.(this.dir, false, new Error('space again'));
    this.tailBytes += line.length;
    this.next = batch.first + batch.count;
    return ++this.written;
  }

  /** One write of the whole line; on any failure the segment is cut back to where it was. */
  private async writeAll(handle: FileHandle, path: string, line: Buffer) {
    let at = 0;
    try {
      while (at < line.length) {
        const { bytesWritten } = await handle.write(line, at, line.length - at);
        at += bytesWritten;
      }
    } catch (error) {
      if (at > 0) {
        this.repair = { path, bytes: this.tailBytes };
        await this.cutBack();
      }
      throw error;
    }
  }

  /** Cuts a segment a failed write left torn back to its last whole batch (ftruncate needs no space). */
  private async cutBack() {
    if (!this.repair) return;
    if (this.handle) await this.handle.truncate(this.repair.bytes);
    else await truncate(this.repair.path, this.repair.bytes);
    this.repair = undefined;
  }

  /** Waits until write number `ticket` is fsynced; one fsync covers every write before it. */
  private async durable(ticket: number): Promise<void> {
    while (this.synced < ticket) {
      if (!this.syncing) {
        const handle = this.handle;
        // Closing a segment syncs it; no handle and writes not synced means that sync failed.
        if (!handle)
          throw new Error(
            `Cannot fsync the log spool ${this.dir}: its segment was closed unsynced`,
          );
        const upTo = this.written;
        this.syncing = handle
          .sync()
          .then(() => {
            if (this.synced < upTo) this.synced = upTo;
          })
          .finally(() => {
            this.syncing = undefined;
          });
      }
      await this.syncing;
    }
  }

  /** The edge stored every entry below `nextSeq`: delete the segments that hold nothing else. */
  trim(nextSeq: number): Promise<void> {
    return this.run(async () => {
      const segments = await this.known();
      // A segment ends where the next begins; the newest one always stays.
      while (segments.length > 1 && segments[1]!.first <= nextSeq) {
        await rm(segments.shift()!.path, { force: true });
      }
    });
  }

  /** Closes the file, keeping it for a later `load`. */
  close(): Promise<void> {
    return this.run(() => this.closeHandle());
  }

  /** Deletes the job's segments: the edge has the whole log. */
  delete(): Promise<void> {
    return this.run(async () => {
      await this.closeHandle();
      await rm(this.dir, { recursive: true, force: true });
      this.segments = [];
      this.tailBytes = 0;
    });
  }

  private run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Closes the segment, fsynced first: every write so far is then on disk. */
  private async closeHandle() {
    const handle = this.handle;
    if (!handle) return;
    const upTo = this.written;
    try {
      await handle.sync();
      if (this.synced < upTo) this.synced = upTo;
    } finally {
      this.handle = undefined;
      await handle.close();
    }
  }

  /** The segments; a spool used without `load` reads (and cleans) what is on disk first. */
  private async known(): Promise<Segment[]> {
    if (!this.segments) await this.read();
    return this.segments!;
  }

  private async list(): Promise<Segment[]> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    return names
      .map((name) => SEGMENT.exec(name))
      .filter((match) => match !== null)
      .map((match) => ({ first: Number(match[1]), path: join(this.dir, match[0]) }))
      .sort((a, b) => a.first - b.first);
  }
}

/** One batch line, if it is whole and numbered from `first` on; undefined otherwise. */
function readBatch(line: string, first: number): LogEntry[] | undefined {
  let batch: unknown;
  try {
    batch = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(batch) || batch.length === 0) return undefined;
  for (let i = 0; i < batch.length; i++) {
    if ((batch[i] as LogEntry | null)?.s !== first + i) return undefined;
  }
  return batch as LogEntry[];
}

/**
 * The folder of spools, one folder per job: `<state>/spool/<job>/`.
 * @example
 * const spools = new Spool('/var/lib/rbee/spool');
 * for (const job of await spools.jobs()) console.log(job, await spools.job(job).load());
 */
export class Spool {
  constructor(
    readonly dir: string,
    private readonly options: SpoolOptions = {},
  ) {}

  /** Makes sure the folder exists. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The job's spool (nothing is created until the first append). */
  job(id: string): JobSpool {
    return new JobSpool(join(this.dir, id), this.options);
  }

  /** Ids of the jobs that have a spool. */
  async jobs(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }
}

async function syncDir(dir: string) {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
