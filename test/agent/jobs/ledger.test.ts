import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { writeFileAtomic } from '../../../agent/fs/atomic-write.ts';
import { Ledger } from '../../../agent/jobs/ledger.ts';
import type { JobSpec } from '../../../shared/protocol/index.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'rbee-ledger-'));
const spec = (id: string): JobSpec => ({ id, kind: 'install', worker: 'rbee-hello-worker' });

describe('Ledger', () => {
  test('accepts a job id once; the second delivery is recognised', async () => {
    const ledger = await Ledger.open(await tempDir());
    expect(await ledger.accept(spec('job_aaaaaaaa'))).toBe(true);
    expect(await ledger.accept(spec('job_aaaaaaaa'))).toBe(false);
    expect(ledger.get('job_aaaaaaaa')?.state).toBe('accepted');
  });

  test('two deliveries at the same moment: exactly one is accepted', async () => {
    const ledger = await Ledger.open(await tempDir());
    const results = await Promise.all([
      ledger.accept(spec('job_bbbbbbbb')),
      ledger.accept(spec('job_bbbbbbbb')),
    ]);
    expect(results.sort()).toEqual([false, true]);
  });

  test('survives a restart: accepted ids are still known, with their state and outcome', async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir);
    await ledger.accept(spec('job_cccccccc'));
    await ledger.accept(spec('job_dddddddd'));
    await ledger.update('job_cccccccc', { state: 'running' });
    await ledger.update('job_cccccccc', {
      state: 'finished',
      outcome: 'failed',
      total: 12,
      error: { message: 'build() failed with exit code 2', step: 'build', exit_code: 2 },
    });

    const again = await Ledger.open(dir);
    expect(await again.accept(spec('job_cccccccc'))).toBe(false);
    expect(again.get('job_cccccccc')).toMatchObject({
      job: spec('job_cccccccc'),
      state: 'finished',
      outcome: 'failed',
      total: 12,
      error: { message: 'build() failed with exit code 2', step: 'build', exit_code: 2 },
    });
    expect(again.unreported().map((r) => r.job.id)).toEqual(['job_cccccccc', 'job_dddddddd']);
  });

  test('reported records still make redeliveries duplicates but are not unreported', async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir);
    await ledger.accept(spec('job_eeeeeeee'));
    await ledger.update('job_eeeeeeee', { state: 'reported' });
    const again = await Ledger.open(dir);
    expect(again.unreported()).toEqual([]);
    expect(await again.accept(spec('job_eeeeeeee'))).toBe(false);
  });

  test('reported records older than retainReportedMs are forgotten at open; others stay', async () => {
    const dir = await tempDir();
    let now = 1_000;
    const ledger = await Ledger.open(dir, { now: () => now });
    await ledger.accept(spec('job_ffffffff'));
    await ledger.update('job_ffffffff', { state: 'reported' });
    await ledger.accept(spec('job_gggggggg')); // unreported: kept however old
    now = 1_000 + 5_000;
    const again = await Ledger.open(dir, { now: () => now, retainReportedMs: 4_000 });
    expect(again.get('job_ffffffff')).toBeUndefined();
    expect(again.get('job_gggggggg')?.state).toBe('accepted');
    expect(await readdir(dir)).toEqual(['job_gggggggg.json']);
  });

  test('each record is one JSON file, written without leaving a temporary file behind', async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir);
    await ledger.accept(spec('job_hhhhhhhh'));
    await ledger.update('job_hhhhhhhh', { state: 'running' });
    expect(await readdir(dir)).toEqual(['job_hhhhhhhh.json']);
    const record = JSON.parse(await readFile(join(dir, 'job_hhhhhhhh.json'), 'utf8'));
    expect(record).toMatchObject({ job: spec('job_hhhhhhhh'), state: 'running' });
  });

  test('a crash between writing the temporary file and the rename leaves the old record', async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir);
    await ledger.accept(spec('job_iiiiiiii'));
    // What a crash mid-update leaves: the new version only in the .tmp file.
    await writeFile(join(dir, 'job_iiiiiiii.json.tmp'), '{"job":{"id":"job_iiiiiiii"},"sta');
    const again = await Ledger.open(dir);
    expect(again.get('job_iiiiiiii')?.state).toBe('accepted');
    expect(await readdir(dir)).toEqual(['job_iiiiiiii.json']);
  });

  test('an unreadable record is moved aside, not in the way of the others', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'job_jjjjjjjj.json'), 'garbage');
    const ledger = await Ledger.open(dir);
    expect(ledger.get('job_jjjjjjjj')).toBeUndefined();
    expect(await readdir(dir)).toEqual(['job_jjjjjjjj.json.corrupt']);
  });

  test('update of an unknown job says which', async () => {
    const ledger = await Ledger.open(await tempDir());
    await expect(ledger.update('job_kkkkkkkk', { state: 'running' })).rejects.toThrow(
      'Cannot update job job_kkkkkkkk: it is not in the ledger',
    );
  });

  test('writeFileAtomic replaces the whole file', async () => {
    const path = join(await tempDir(), 'x.json');
    await writeFileAtomic(path, 'a much longer first version\n');
    await writeFileAtomic(path, 'short\n');
    expect(await readFile(path, 'utf8')).toBe('short\n');
  });
});
