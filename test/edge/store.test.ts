import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openNodeStore } from '../../edge/node/open-store.ts';
import type { Store } from '../../edge/store/store.ts';
import { logBatch } from '../../shared/protocol/log-batch.ts';
import { denoBin, repoRoot, tempDir } from '../support/edge-process.ts';
import { job, storeContract } from './store-contract.ts';

describe('KvStore on Node (@deno/kv file)', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  for (const [name, run] of storeContract) {
    it(name, async () => {
      store = await openNodeStore(tempDir('store'));
      await run(store);
    });
  }

  it('keeps hives, jobs and logs across a close and reopen of the file', async () => {
    const dir = tempDir('store');
    store = await openNodeStore(dir);
    await store.createJob(job('job_00000001'));
    await store.appendLog('job_00000001', logBatch([{ s: 0, t: 1, k: 'e', x: 'kept' }]));
    await store.close();
    store = await openNodeStore(dir);
    expect((await store.getJob('job_00000001'))?.state).toBe('queued');
    expect((await store.logHead('job_00000001')).next).toBe(1);
  });
});

describe('KvStore under Deno (Deno.openKv file)', () => {
  it('passes the same contract', () => {
    const r = spawnSync(
      denoBin,
      [
        'run',
        '--quiet',
        '--unstable-kv',
        '-A',
        'test/deno/store-contract.deno.ts',
        tempDir('deno-store'),
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`${storeContract.length} passed, 0 failed`);
    expect(r.status).toBe(0);
  });

  it('reads a store file written by Node (values are JSON bytes, not V8)', async () => {
    const dir = tempDir('cross');
    const store = await openNodeStore(dir);
    await store.createJob(job('job_00000001', { worker: 'written-by-node' }));
    await store.close();
    const r = spawnSync(
      denoBin,
      [
        'run',
        '--quiet',
        '--unstable-kv',
        '-A',
        'test/deno/store-read.deno.ts',
        dir,
        'job_00000001',
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).worker).toBe('written-by-node');
  });
});
