import { type FileHandle, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '../../shared/protocol/index.ts';

/** What a job's spool file held when it was read back. */
export type SpoolContents = {
  /** The seq of the first entry kept (everything below was acknowledged by the edge). */
  from: number;
  /** The entries from `from` on, consecutive. */
  entries: LogEntry[];
};

export type SpoolOptions = {
  /** Rewrite a file once this many acknowledged bytes sit at its start (default 1 MiB). */
  compactBytes?: number;
};

/** UTF-8 length; plain ASCII (the common case) needs no encoding pass. */
const utf8 = (text: string) =>
  NON_ASCII.test(text) ? Buffer.byteLength(text, 'utf8') : text.length;
const NON_ASCII = /[^\x00-\x7f]/;

/** Between two entries of a JSON array of entries (each written with `s` first). */
const BOUNDARY = '},{"s":';

/**
 * Entries as NDJSON lines, with each line's size in bytes. One JSON.stringify for the batch
 * and one native replace are much cheaper than a stringify per entry; should an entry not
 * start with `s` (so a boundary is missed), it falls back to one line at a time.
 */
function ndjson(entries: readonly LogEntry[]): { chunk: string; sizes: number[] } {
  const json = JSON.stringify(entries);
  const chunk = `${json.slice(1, -1).replaceAll(BOUNDARY, '}\n{"s":')}\n`;
  const ascii = !NON_ASCII.test(chunk);
  const sizes: number[] = [];
  for (let at = 0; at < chunk.length; ) {
    const end = chunk.indexOf('\n', at) + 1;
    sizes.push(ascii ? end - at : utf8(chunk.slice(at, end)));
    at = end;
  }
  if (sizes.length === entries.length) return { chunk, sizes };
  const lines = entries.map((entry) => `${JSON.stringify(entry)}\n`);
  return { chunk: lines.join(''), sizes: lines.map(utf8) };
}

/**
 * One job's unacknowledged log entries on disk, as NDJSON: a header line `{"from":N}` then one
 * entry per line. Appends are batched by the caller and written in one call; acknowledged
 * entries are dropped by rewriting the file once enough of them piled up at its start. Every
 * operation runs in order on one queue, so an append never races a rewrite.
 * @example
 * const spool = new JobSpool('/var/lib/rbee/spool/job_x.ndjson');
 * const { from, entries } = await spool.load(); // after a restart: what the edge may still need
 * await spool.append([{ s: 0, t: Date.now(), k: 'o', x: 'hello' }]);
 * await spool.trim(1); // the edge stored entry 0
 */
export class JobSpool {
  readonly path: string;
  private readonly compactBytes: number;
  private handle: FileHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private from = 0;
  private headerBytes = 0;
  /** Bytes of each entry's line in the file, from `from` on. */
  private lineBytes: number[] = [];
  private ackedBytes = 0;
  /** Sum of lineBytes, kept as lines come and go (an ack must not walk the whole array). */
  private totalBytes = 0;
  private ackedCount = 0;

  constructor(path: string, options: SpoolOptions = {}) {
    this.path = path;
    this.compactBytes = options.compactBytes ?? 1024 * 1024;
  }

  /** Seq the next appended entry must carry. */
  get nextSeq(): number {
    return this.from + this.lineBytes.length;
  }

  /**
   * Reads the file back (missing means empty) and rewrites it clean: a line torn by a crash
   * mid-write, or anything after a break in the numbering, is dropped, since the edge can only
   * use consecutive entries.
   */
  load(): Promise<SpoolContents> {
    return this.run(async () => {
      let text = '';
      try {
        text = await readFile(this.path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const lines = text.split('\n');
      let from = 0;
      try {
        const header = JSON.parse(lines[0] ?? '') as { from?: unknown };
        if (Number.isInteger(header.from) && (header.from as number) >= 0)
          from = header.from as number;
      } catch {
        // No readable header: nothing in the file can be trusted to be numbered right.
        lines.length = 1;
      }
      const entries: LogEntry[] = [];
      // The last element is what follows the final newline: empty, or a torn line.
      for (const line of lines.slice(1, -1)) {
        let entry: LogEntry;
        try {
          entry = JSON.parse(line) as LogEntry;
        } catch {
          break;
        }
        if (entry?.s !== from + entries.length) break;
        entries.push(entry);
      }
      await this.rewrite(
        from,
        entries.map((e) => JSON.stringify(e)),
      );
      return { from, entries };
    });
  }

  /** Appends consecutive entries in one write; they must continue the file's numbering. */
  append(entries: readonly LogEntry[]): Promise<void> {
    return this.run(async () => {
      if (entries.length === 0) return;
      if (entries[0]!.s !== this.nextSeq) {
        throw new Error(
          `Cannot append seq ${entries[0]!.s} to spool ${this.path}: the next seq is ${this.nextSeq}`,
        );
      }
      const { chunk, sizes } = ndjson(entries);
      if (!this.handle) {
        if (this.headerBytes === 0) await this.rewrite(this.from, []);
        this.handle = await open(this.path, 'a');
      }
      await this.handle.appendFile(chunk);
      for (const size of sizes) {
        this.lineBytes.push(size);
        this.totalBytes += size;
      }
    });
  }

  /** The edge stored every entry below `nextSeq`: forget them, rewriting the file when worth it. */
  trim(nextSeq: number): Promise<void> {
    return this.run(async () => {
      const drop = Math.min(nextSeq, this.nextSeq) - this.from - this.ackedCount;
      if (drop <= 0) return;
      for (let i = this.ackedCount; i < this.ackedCount + drop; i++)
        this.ackedBytes += this.lineBytes[i]!;
      this.ackedCount += drop;
      const liveBytes = this.totalBytes - this.ackedBytes;
      // Rewriting costs the live bytes; waiting until the acked part is at least as big keeps
      // the cost per entry constant however long the build runs.
      if (this.ackedBytes >= this.compactBytes && this.ackedBytes >= liveBytes) {
        const text = this.lineBytes.length > 0 ? await readFile(this.path) : Buffer.alloc(0);
        const tail = text.subarray(this.headerBytes + this.ackedBytes).toString('utf8');
        const lines = tail.split('\n').slice(0, -1);
        await this.rewrite(this.from + this.ackedCount, lines);
      }
    });
  }

  /** Closes the file, keeping it for a later `load`. */
  close(): Promise<void> {
    return this.run(async () => {
      await this.handle?.close();
      this.handle = undefined;
    });
  }

  /** Deletes the file: the edge has the whole log. */
  delete(): Promise<void> {
    return this.run(async () => {
      await this.handle?.close();
      this.handle = undefined;
      await rm(this.path, { force: true });
    });
  }

  private run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Replaces the file atomically with a header and the given entry lines. */
  private async rewrite(from: number, lines: string[]) {
    await this.handle?.close();
    this.handle = undefined;
    const header = `${JSON.stringify({ from })}\n`;
    const body = lines.map((line) => `${line}\n`);
    const tmp = `${this.path}.tmp`;
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(header + body.join(''));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    this.from = from;
    this.headerBytes = utf8(header);
    this.lineBytes = body.map(utf8);
    this.totalBytes = this.lineBytes.reduce((a, b) => a + b, 0);
    this.ackedBytes = 0;
    this.ackedCount = 0;
  }
}

/**
 * The folder of spool files, one per job: `<state>/spool/<job>.ndjson`.
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
    await mkdir(this.dir, { recursive: true });
  }

  /** The job's spool file (not opened until used). */
  job(id: string): JobSpool {
    return new JobSpool(join(this.dir, `${id}.ndjson`), this.options);
  }

  /** Ids of the jobs that have a spool file. */
  async jobs(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.ndjson')).map((n) => n.slice(0, -'.ndjson'.length));
  }
}
