import { appendFile, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { JobSpool, Spool } from '../../../agent/logs/spool.ts';
import type { LogEntry } from '../../../shared/protocol/index.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'rbee-spool-'));
const lines = (from: number, count: number, text = 'line'): LogEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    s: from + i,
    t: 1_700_000_000_000 + from + i,
    k: 'o',
    x: `${text} ${from + i}`,
  }));

describe('JobSpool', () => {
  test('appended entries read back after a "restart" (a new JobSpool on the same file)', async () => {
    const path = join(await tempDir(), 'job_a.ndjson');
    const spool = new JobSpool(path);
    await spool.append(lines(0, 3));
    await spool.append([{ s: 3, t: 1, k: 'step', step: 'build', phase: 'start', note: 'build()' }]);
    await spool.append(lines(4, 2));
    await spool.close();

    const again = new JobSpool(path);
    const contents = await again.load();
    expect(contents.from).toBe(0);
    expect(contents.entries).toEqual([
      ...lines(0, 3),
      { s: 3, t: 1, k: 'step', step: 'build', phase: 'start', note: 'build()' },
      ...lines(4, 2),
    ]);
    expect(again.nextSeq).toBe(6);
  });

  test('the file is NDJSON: a header line then one entry per line', async () => {
    const path = join(await tempDir(), 'job_b.ndjson');
    const spool = new JobSpool(path);
    await spool.append(lines(0, 2));
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')).toEqual([
      '{"from":0}',
      JSON.stringify(lines(0, 1)[0]),
      JSON.stringify(lines(1, 1)[0]),
      '',
    ]);
  });

  test('a missing file loads as empty, from 0', async () => {
    const spool = new JobSpool(join(await tempDir(), 'job_none.ndjson'));
    expect(await spool.load()).toEqual({ from: 0, entries: [] });
  });

  test('a line torn by a crash mid-write is dropped, and appends continue after the last whole one', async () => {
    const path = join(await tempDir(), 'job_c.ndjson');
    const spool = new JobSpool(path);
    await spool.append(lines(0, 3));
    await spool.close();
    await appendFile(path, '{"s":3,"t":1,"k":"o","x":"tor');

    const again = new JobSpool(path);
    expect((await again.load()).entries).toEqual(lines(0, 3));
    await again.append(lines(3, 1, 'whole'));
    expect((await new JobSpool(path).load()).entries).toEqual([
      ...lines(0, 3),
      ...lines(3, 1, 'whole'),
    ]);
  });

  test('entries after a break in the numbering are not trusted', async () => {
    const path = join(await tempDir(), 'job_d.ndjson');
    const body = [...lines(0, 2), ...lines(5, 2)].map((e) => JSON.stringify(e)).join('\n');
    await writeFile(path, `{"from":0}\n${body}\n`);
    expect((await new JobSpool(path).load()).entries).toEqual(lines(0, 2));
  });

  test('an append that does not continue the numbering is refused', async () => {
    const spool = new JobSpool(join(await tempDir(), 'job_e.ndjson'));
    await spool.append(lines(0, 2));
    await expect(spool.append(lines(3, 1))).rejects.toThrow(
      /Cannot append seq 3 to spool .*: the next seq is 2/,
    );
  });

  test('trim drops acknowledged entries by rewriting once enough piled up; reads back from there', async () => {
    const path = join(await tempDir(), 'job_f.ndjson');
    const spool = new JobSpool(path, { compactBytes: 1000 });
    await spool.append(lines(0, 100, 'x'.repeat(50)));
    const full = (await stat(path)).size;

    await spool.trim(10); // ~800 bytes acknowledged: below compactBytes, the file stays
    expect((await stat(path)).size).toBe(full);

    await spool.trim(60); // 60 acked vs 40 live: rewritten
    expect((await stat(path)).size).toBeLessThan(full / 2);
    await spool.append(lines(100, 5));
    await spool.close();

    const contents = await new JobSpool(path).load();
    expect(contents.from).toBe(60);
    expect(contents.entries).toEqual([...lines(60, 40, 'x'.repeat(50)), ...lines(100, 5)]);
  });

  test('trim of everything keeps the numbering: the next append goes on from there', async () => {
    const path = join(await tempDir(), 'job_g.ndjson');
    const spool = new JobSpool(path, { compactBytes: 1 });
    await spool.append(lines(0, 7));
    await spool.trim(7);
    expect(spool.nextSeq).toBe(7);
    await spool.close();
    const again = new JobSpool(path);
    expect(await again.load()).toEqual({ from: 7, entries: [] });
    await again.append(lines(7, 1));
    expect((await new JobSpool(path).load()).entries).toEqual(lines(7, 1));
  });

  test("resend from the edge's next seq: what load returns at and after it", async () => {
    const path = join(await tempDir(), 'job_h.ndjson');
    const spool = new JobSpool(path);
    await spool.append(lines(0, 10));
    await spool.trim(4); // acked up to 4 but not compacted (below the default 1 MiB)
    await spool.close();
    const { from, entries } = await new JobSpool(path).load();
    // Not compacted: entries below the ack are still there; the caller resends from next_seq.
    expect(from).toBe(0);
    expect(entries.filter((e) => e.s >= 4)).toEqual(lines(4, 6));
  });

  test('a stale trim (lower than before) changes nothing', async () => {
    const path = join(await tempDir(), 'job_i.ndjson');
    const spool = new JobSpool(path, { compactBytes: 1 });
    await spool.append(lines(0, 4));
    await spool.trim(3);
    await spool.trim(1);
    await spool.close();
    expect(await new JobSpool(path).load()).toEqual({ from: 3, entries: lines(3, 1) });
  });

  test('delete removes the file', async () => {
    const dir = await tempDir();
    const spools = new Spool(dir);
    const spool = spools.job('job_k');
    await spool.append(lines(0, 1));
    expect(await spools.jobs()).toEqual(['job_k']);
    await spool.delete();
    expect(await spools.jobs()).toEqual([]);
  });
});

describe('JobSpool batch encoding', () => {
  test('lines that look like entry boundaries, and entries with s not first, read back whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rbee-spool-'));
    const path = join(dir, 'job.ndjson');
    const tricky: LogEntry[] = [
      { s: 0, t: 1, k: 'o', x: '},{"s":99,"t":1,"k":"o","x":"fake"}' },
      { s: 1, t: 2, k: 'e', x: 'é ünïcode 😀' },
      { t: 3, k: 'o', x: 's is not first', s: 2 } as LogEntry,
      { s: 3, t: 4, k: 'o', x: 'last' },
    ];
    const spool = new JobSpool(path);
    await spool.load();
    await spool.append(tricky);
    await spool.close();
    const { from, entries } = await new JobSpool(path).load();
    expect(from).toBe(0);
    expect(entries).toEqual(tricky);
  });
});
