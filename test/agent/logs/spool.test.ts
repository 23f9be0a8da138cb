import { appendFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { JobSpool, Spool } from '../../../agent/logs/spool.ts';
import { type LogEntry, logBatch } from '../../../shared/protocol/index.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'rbee-spool-'));
const lines = (from: number, count: number, text = 'line'): LogEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    s: from + i,
    t: 1_700_000_000_000 + from + i,
    k: 'o',
    x: `${text} ${from + i}`,
  }));
const batch = (from: number, count: number, text?: string) => logBatch(lines(from, count, text));
const segment = (first: number) => `${String(first).padStart(16, '0')}.log`;

describe('JobSpool', () => {
  test('appended batches read back after a "restart" (a new JobSpool on the same folder)', async () => {
    const dir = join(await tempDir(), 'job_a');
    const spool = new JobSpool(dir);
    await spool.append(batch(0, 3));
    const step: LogEntry = { s: 3, t: 1, k: 'step', step: 'build', phase: 'start', note: 'b()' };
    await spool.append(logBatch([step]));
    await spool.append(batch(4, 2));
    await spool.close();

    const again = new JobSpool(dir);
    const contents = await again.load();
    expect(contents.from).toBe(0);
    expect(contents.entries).toEqual([...lines(0, 3), step, ...lines(4, 2)]);
    expect(again.nextSeq).toBe(6);
  });

  test('a segment holds one batch per line: the JSON array a logs frame carries', async () => {
    const dir = join(await tempDir(), 'job_b');
    const spool = new JobSpool(dir);
    await spool.append(batch(0, 2));
    await spool.append(batch(2, 1));
    expect(await readdir(dir)).toEqual([segment(0)]);
    const text = await readFile(join(dir, segment(0)), 'utf8');
    expect(text.split('\n')).toEqual([
      JSON.stringify(lines(0, 2)),
      JSON.stringify(lines(2, 1)),
      '',
    ]);
  });

  test('a missing folder loads as empty, from 0', async () => {
    const spool = new JobSpool(join(await tempDir(), 'job_none'));
    expect(await spool.load()).toEqual({ from: 0, entries: [] });
  });

  test('a batch torn by a crash mid-write is dropped, and appends continue after the last whole one', async () => {
    const dir = join(await tempDir(), 'job_c');
    const spool = new JobSpool(dir);
    await spool.append(batch(0, 3));
    await spool.close();
    await appendFile(join(dir, segment(0)), '[{"s":3,"t":1,"k":"o","x":"tor');

    const again = new JobSpool(dir);
    expect((await again.load()).entries).toEqual(lines(0, 3));
    await again.append(batch(3, 1, 'whole'));
    await again.close();
    expect((await new JobSpool(dir).load()).entries).toEqual([
      ...lines(0, 3),
      ...lines(3, 1, 'whole'),
    ]);
  });

  test('entries after a break in the numbering are not trusted', async () => {
    const dir = join(await tempDir(), 'job_d');
    const spool = new JobSpool(dir);
    await spool.append(batch(0, 2));
    await spool.close();
    // A batch that skips seqs 2–4, then a segment that does not follow on either.
    await appendFile(join(dir, segment(0)), `${JSON.stringify(lines(5, 2))}\n`);
    await writeFile(join(dir, segment(9)), `${JSON.stringify(lines(9, 1))}\n`);
    const again = new JobSpool(dir);
    expect((await again.load()).entries).toEqual(lines(0, 2));
    expect(again.nextSeq).toBe(2);
    expect(await readdir(dir)).toEqual([segment(0)]);
  });

  test('an append that does not continue the numbering is refused', async () => {
    const spool = new JobSpool(join(await tempDir(), 'job_e'));
    await spool.append(batch(0, 2));
    await expect(spool.append(batch(3, 1))).rejects.toThrow(
      /Cannot append seq 3 to spool .*: the next seq is 2/,
    );
  });

  test('segments roll at segmentBytes; trim deletes the ones acknowledged whole; reads back from there', async () => {
    const dir = join(await tempDir(), 'job_f');
    const spool = new JobSpool(dir, { segmentBytes: 1000 });
    for (let s = 0; s < 100; s += 10) await spool.append(batch(s, 10, 'x'.repeat(50)));
    const segments = await readdir(dir);
    expect(segments.length).toBeGreaterThan(3);
    const firsts = segments.map(Number.parseFloat);
    expect(firsts[0]).toBe(0);

    await spool.trim(firsts[1]! - 1); // the first segment still holds an unacknowledged entry
    expect(await readdir(dir)).toEqual(segments);
    await spool.trim(firsts[2]!); // the first two are acknowledged whole
    expect(await readdir(dir)).toEqual(segments.slice(2));
    await spool.append(batch(100, 5));
    await spool.close();

    const contents = await new JobSpool(dir).load();
    expect(contents.from).toBe(firsts[2]);
    expect(contents.entries).toEqual([
      ...lines(firsts[2]!, 100 - firsts[2]!, 'x'.repeat(50)),
      ...lines(100, 5),
    ]);
  });

  test('trim of everything keeps the newest segment: the numbering goes on from there', async () => {
    const dir = join(await tempDir(), 'job_g');
    const spool = new JobSpool(dir, { segmentBytes: 1 });
    await spool.append(batch(0, 4));
    await spool.append(batch(4, 3));
    await spool.trim(7);
    expect(await readdir(dir)).toEqual([segment(4)]);
    expect(spool.nextSeq).toBe(7);
    await spool.close();
    const again = new JobSpool(dir, { segmentBytes: 1 });
    // What is left was acknowledged; loading it back only means it may be sent once more.
    expect(await again.load()).toEqual({ from: 4, entries: lines(4, 3) });
    await again.append(batch(7, 1));
    await again.close();
    expect((await new JobSpool(dir).load()).entries).toEqual([...lines(4, 3), ...lines(7, 1)]);
  });

  test('a stale trim (lower than before) changes nothing', async () => {
    const dir = join(await tempDir(), 'job_i');
    const spool = new JobSpool(dir, { segmentBytes: 1 });
    for (let s = 0; s < 4; s++) await spool.append(batch(s, 1));
    await spool.trim(3);
    await spool.trim(1);
    await spool.close();
    expect(await new JobSpool(dir).load()).toEqual({ from: 3, entries: lines(3, 1) });
  });

  test('a spool appended to without a load goes on from what is on disk', async () => {
    const dir = join(await tempDir(), 'job_j');
    const first = new JobSpool(dir);
    await first.append(batch(0, 3));
    await first.close();
    const second = new JobSpool(dir);
    await expect(second.append(batch(0, 1))).rejects.toThrow(/the next seq is 3/);
    await second.append(batch(3, 1));
    await second.close();
    expect((await new JobSpool(dir).load()).entries).toEqual(lines(0, 4));
  });

  test('delete removes the folder', async () => {
    const dir = await tempDir();
    const spools = new Spool(dir);
    const spool = spools.job('job_k');
    await spool.append(batch(0, 1));
    expect(await spools.jobs()).toEqual(['job_k']);
    await spool.delete();
    expect(await spools.jobs()).toEqual([]);
  });
});

describe('JobSpool batch encoding', () => {
  test('texts that look like batch or entry boundaries, and entries with s not first, read back whole', async () => {
    const dir = join(await tempDir(), 'job');
    const tricky: LogEntry[] = [
      { s: 0, t: 1, k: 'o', x: '},{"s":99,"t":1,"k":"o","x":"fake"}]\n[' },
      { s: 1, t: 2, k: 'e', x: 'é ünïcode 😀' },
      { t: 3, k: 'o', x: 's is not first', s: 2 } as LogEntry,
      { s: 3, t: 4, k: 'o', x: 'last' },
    ];
    const spool = new JobSpool(dir);
    await spool.load();
    await spool.append(logBatch(tricky.slice(0, 2)));
    await spool.append(logBatch(tricky.slice(2)));
    await spool.close();
    const { from, entries } = await new JobSpool(dir).load();
    expect(from).toBe(0);
    expect(entries).toEqual(tricky);
  });
});
