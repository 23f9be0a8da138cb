/**
 * The contract every Store engine must pass. Runtime-neutral (node:assert exists on Deno too):
 * vitest runs it on Node, test/deno/store-contract.deno.ts runs it under Deno.
 */
import assert from 'node:assert/strict';
import type { HiveRecord, JobRecord, RolloutRecord } from '../../edge/store/records.ts';
import { LogGapError, type Store } from '../../edge/store/store.ts';
import { logBatch } from '../../shared/protocol/log-batch.ts';
import type { LogEntry } from '../../shared/protocol/log-entry.ts';
import { operatorStoreContract } from './operator-store-contract.ts';
import { enrolmentContract } from './store-contract-enrolment.ts';

export const hive = (id: string, over: Partial<HiveRecord> = {}): HiveRecord => ({
  id,
  name: `name-${id}`,
  labels: {},
  token_hash: `hash-${id}`,
  created_at: 1,
  last_seen: null,
  platform: null,
  installed: [],
  agent_version: null,
  ...over,
});

export const job = (id: string, over: Partial<JobRecord> = {}): JobRecord => ({
  id,
  hive: 'h1',
  kind: 'install',
  worker: 'rbee-hello-worker',
  state: 'queued',
  step: null,
  created_at: 1,
  updated_at: 1,
  deliver_by: 10,
  dispatched_at: null,
  accepted_at: null,
  ended_at: null,
  cancel_requested: false,
  error: null,
  pending_done: null,
  timeout_ms: null,
  rollout: null,
  ...over,
});

export const rollout = (id: string, over: Partial<RolloutRecord> = {}): RolloutRecord => ({
  id,
  kind: 'install',
  worker: 'rbee-hello-worker',
  state: 'running',
  max_concurrency: 2,
  max_errors: null,
  counts: { total: 3, waiting: 1, in_progress: 2, succeeded: 0, failed: 0, cancelled: 0 },
  created_at: 1,
  updated_at: 1,
  ended_at: null,
  ...over,
});

const line = (s: number, x = `line ${s}`): LogEntry => ({ s, t: 1000 + s, k: 'o', x });
const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => line(from + i));

async function collect(iter: AsyncIterable<LogEntry[]>): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  for await (const batch of iter) all.push(...batch);
  return all;
}

export type ContractCase = [name: string, run: (store: Store) => Promise<void>];

export const storeContract: ContractCase[] = [
  [
    'meta values round-trip and overwrite',
    async (store) => {
      assert.equal(await store.getMeta('admin'), null);
      await store.setMeta('admin', 'a');
      await store.setMeta('admin', 'b');
      assert.equal(await store.getMeta('admin'), 'b');
    },
  ],
  [
    'a deleted meta value is gone; deleting a missing one is harmless',
    async (store) => {
      await store.setMeta('session:x', '{}');
      await store.deleteMeta('session:x');
      assert.equal(await store.getMeta('session:x'), null);
      await store.deleteMeta('session:never');
      assert.equal(await store.getMeta('session:never'), null);
    },
  ],
  [
    'a hive is found by id, name and token hash; ids and names are unique',
    async (store) => {
      assert.equal(await store.createHive(hive('h1', { labels: { gpu: 'yes' } })), true);
      assert.equal(await store.createHive(hive('h1', { name: 'other' })), false);
      assert.equal(await store.createHive(hive('h2', { name: 'name-h1' })), false);
      assert.deepEqual((await store.getHive('h1'))?.labels, { gpu: 'yes' });
      assert.equal((await store.getHiveByName('name-h1'))?.id, 'h1');
      assert.equal((await store.getHiveByTokenHash('hash-h1'))?.id, 'h1');
      assert.equal(await store.getHiveByTokenHash('nope'), null);
      assert.deepEqual(
        (await store.listHives()).map((h) => h.id),
        ['h1'],
      );
    },
  ],
  [
    'updateHive applies fn, and null from fn changes nothing',
    async (store) => {
      await store.createHive(hive('h1'));
      const updated = await store.updateHive('h1', (h) => ({ ...h, last_seen: 42 }));
      assert.equal(updated?.last_seen, 42);
      assert.equal(await store.updateHive('h1', () => null), null);
      assert.equal((await store.getHive('h1'))?.last_seen, 42);
      assert.equal(await store.updateHive('missing', (h) => h), null);
    },
  ],
  [
    'deleteHive removes the hive, its name and its token',
    async (store) => {
      await store.createHive(hive('h1'));
      assert.equal(await store.deleteHive('h1'), true);
      assert.equal(await store.getHive('h1'), null);
      assert.equal(await store.getHiveByTokenHash('hash-h1'), null);
      assert.equal(await store.getHiveByName('name-h1'), null);
      assert.equal(await store.deleteHive('h1'), false);
      assert.equal(await store.createHive(hive('h3', { name: 'name-h1' })), true);
    },
  ],
  [
    'a job id is created once',
    async (store) => {
      assert.equal(await store.createJob(job('job_00000001')), true);
      assert.equal(await store.createJob(job('job_00000001', { worker: 'x' })), false);
      assert.equal((await store.getJob('job_00000001'))?.worker, 'rbee-hello-worker');
    },
  ],
  [
    'createJobs creates many jobs at once, all listed and open',
    async (store) => {
      const many = Array.from({ length: 450 }, (_, i) =>
        job(`job_${String(i).padStart(8, '0')}`, { hive: `h${i % 3}` }),
      );
      await store.createJobs(many);
      assert.equal((await store.listJobs({ limit: 1000 })).length, 450);
      assert.equal((await store.listOpenJobs('h1')).length, 150);
      assert.equal((await store.getJob('job_00000449'))?.hive, 'h2');
    },
  ],
  [
    'listJobs is newest first and filters by hive and state; listOpenJobs drops terminal jobs',
    async (store) => {
      await store.createJob(job('job_00000001', { hive: 'h1' }));
      await store.createJob(job('job_00000002', { hive: 'h2' }));
      await store.createJob(job('job_00000003', { hive: 'h1', state: 'failed' }));
      assert.deepEqual(
        (await store.listJobs({})).map((j) => j.id),
        ['job_00000003', 'job_00000002', 'job_00000001'],
      );
      assert.deepEqual(
        (await store.listJobs({ hive: 'h1' })).map((j) => j.id),
        ['job_00000003', 'job_00000001'],
      );
      assert.deepEqual(
        (await store.listJobs({ state: 'queued' })).map((j) => j.id),
        ['job_00000002', 'job_00000001'],
      );
      assert.deepEqual(
        (await store.listJobs({ limit: 1 })).map((j) => j.id),
        ['job_00000003'],
      );
      assert.deepEqual(
        (await store.listOpenJobs('h1')).map((j) => j.id),
        ['job_00000001'],
      );
      assert.deepEqual(
        (await store.listOpenJobs()).map((j) => j.id),
        ['job_00000001', 'job_00000002'],
      );
      await store.updateJob('job_00000001', (j) => ({ ...j, state: 'succeeded' }));
      assert.deepEqual(
        (await store.listOpenJobs('h1')).map((j) => j.id),
        [],
      );
    },
  ],
  [
    'recordAccepts shows as accepted_at on getJob, listJobs and listOpenJobs',
    async (store) => {
      await store.createJobs([job('job_00000001'), job('job_00000002')]);
      await store.recordAccepts([{ job: 'job_00000001', at: 77 }]);
      assert.equal((await store.getJob('job_00000001'))?.accepted_at, 77);
      assert.equal((await store.getJob('job_00000002'))?.accepted_at, null);
      assert.deepEqual(
        (await store.listJobs({})).map((j) => j.accepted_at),
        [null, 77],
      );
      assert.deepEqual(
        (await store.listJobs({ hive: 'h1' })).map((j) => j.accepted_at),
        [null, 77],
      );
      assert.deepEqual(
        (await store.listOpenJobs()).map((j) => j.accepted_at),
        [77, null],
      );
    },
  ],
  [
    'listDueJobs lists queued jobs past their deadline, and forgets them once they move on',
    async (store) => {
      await store.createJob(job('job_00000001', { deliver_by: 100 }));
      await store.createJobs([
        job('job_00000002', { deliver_by: 200 }),
        job('job_00000003', { deliver_by: 50, state: 'dispatched' }),
      ]);
      assert.deepEqual(
        (await store.listDueJobs(150)).map((j) => j.id),
        ['job_00000001'],
      );
      assert.deepEqual((await store.listDueJobs(250)).map((j) => j.id).sort(), [
        'job_00000001',
        'job_00000002',
      ]);
      await store.updateJob('job_00000001', (j) => ({ ...j, state: 'dispatched' }));
      assert.deepEqual(
        (await store.listDueJobs(250)).map((j) => j.id),
        ['job_00000002'],
      );
      await store.updateJob('job_00000001', (j) => ({ ...j, state: 'queued' }));
      assert.deepEqual(
        (await store.listDueJobs(250)).map((j) => j.id),
        ['job_00000001', 'job_00000002'],
      );
    },
  ],
  [
    'updateJob is compare-and-set: concurrent transitions from the same state apply once',
    async (store) => {
      await store.createJob(job('job_00000001'));
      const from = (state: JobRecord['state'], to: JobRecord['state']) => (j: JobRecord) =>
        j.state === state ? { ...j, state: to } : null;
      const results = await Promise.all([
        store.updateJob('job_00000001', from('queued', 'dispatched')),
        store.updateJob('job_00000001', from('queued', 'cancelled')),
        store.updateJob('job_00000001', from('queued', 'delivery_timed_out')),
      ]);
      assert.equal(results.filter((r) => r !== null).length, 1);
      const winner = results.find((r) => r !== null)!;
      assert.equal((await store.getJob('job_00000001'))?.state, winner.state);
    },
  ],
  [
    'appendLog stores each seq once: resends and overlaps are dropped',
    async (store) => {
      assert.deepEqual(await store.logHead('j'), { next: 0, bytes: 0 });
      assert.equal((await store.appendLog('j', logBatch(range(0, 5)))).next, 5);
      assert.equal((await store.appendLog('j', logBatch(range(0, 5)))).next, 5);
      assert.equal((await store.appendLog('j', logBatch(range(3, 8)))).next, 8);
      const all = await collect(store.readLog('j', 0));
      assert.deepEqual(
        all.map((e) => e.s),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.deepEqual(all, range(0, 8));
    },
  ],
  [
    'appendLog refuses a gap and stores nothing from it',
    async (store) => {
      await store.appendLog('j', logBatch(range(0, 3)));
      await assert.rejects(store.appendLog('j', logBatch(range(4, 6))), (e: unknown) => {
        assert.ok(e instanceof LogGapError);
        assert.equal(e.next, 3);
        assert.equal(e.first, 4);
        return true;
      });
      assert.equal((await store.logHead('j')).next, 3);
      assert.equal((await collect(store.readLog('j', 0))).length, 3);
    },
  ],
  [
    'readLog replays from any seq, across chunks, in order',
    async (store) => {
      // 20,000 lines of ~100 bytes: many 60 KiB chunks and several commits.
      const big = Array.from({ length: 20_000 }, (_, s) => line(s, `${'x'.repeat(90)} ${s}`));
      for (let i = 0; i < big.length; i += 4096)
        await store.appendLog('j', logBatch(big.slice(i, i + 4096)));
      const head = await store.logHead('j');
      assert.equal(head.next, 20_000);
      assert.ok(head.bytes > 20_000 * 100);
      for (const from of [0, 1, 577, 9_999, 19_999, 20_000]) {
        const got = await collect(store.readLog('j', from));
        assert.equal(got.length, 20_000 - from, `from ${from}`);
        if (got.length > 0) {
          assert.equal(got[0]!.s, from);
          assert.equal(got[got.length - 1]!.s, 19_999);
        }
      }
    },
  ],
  [
    'an entry larger than one KV value is stored and read back whole',
    async (store) => {
      const huge = line(1, 'é'.repeat(100_000));
      await store.appendLog('j', logBatch([line(0), huge, line(2)]));
      const got = await collect(store.readLog('j', 0));
      assert.deepEqual(got, [line(0), huge, line(2)]);
      assert.deepEqual(await collect(store.readLog('j', 1)), [huge, line(2)]);
      assert.deepEqual(await collect(store.readLog('j', 2)), [line(2)]);
    },
  ],
  [
    'entries whose keys come in another order are stored and read back whole',
    async (store) => {
      const odd = [
        { t: 1, k: 'o', x: 'x first? no: t first', s: 0 },
        { x: 'text with },{"s":9} inside', s: 1, k: 'e', t: 2 },
        { s: 2, t: 3, k: 'o', x: 'plain' },
      ] as LogEntry[];
      await store.appendLog('j', logBatch(odd));
      assert.deepEqual(await collect(store.readLog('j', 0)), odd);
      assert.deepEqual(await collect(store.readLog('j', 2)), [odd[2]]);
    },
  ],
  [
    'logs of different jobs do not mix',
    async (store) => {
      await store.appendLog('a', logBatch(range(0, 3)));
      await store.appendLog('ab', logBatch(range(0, 2)));
      assert.equal((await collect(store.readLog('a', 0))).length, 3);
      assert.equal((await collect(store.readLog('ab', 0))).length, 2);
    },
  ],
  [
    'rollouts: create once, read, list newest first, compare-and-set updates apply once',
    async (store) => {
      assert.equal(await store.createRollout(rollout('ro_00000001')), true);
      assert.equal(await store.createRollout(rollout('ro_00000001', { worker: 'x' })), false);
      await store.createRollout(rollout('ro_00000002'));
      assert.deepEqual(await store.getRollout('ro_00000001'), rollout('ro_00000001'));
      assert.equal(await store.getRollout('ro_nope'), null);
      assert.deepEqual(
        (await store.listRollouts()).map((r) => r.id),
        ['ro_00000002', 'ro_00000001'],
      );
      const bump = (r: RolloutRecord) =>
        r.counts.succeeded === 0
          ? { ...r, counts: { ...r.counts, succeeded: 1, in_progress: 1 } }
          : null;
      const results = await Promise.all([
        store.updateRollout('ro_00000001', bump),
        store.updateRollout('ro_00000001', bump),
      ]);
      assert.equal(results.filter((r) => r !== null).length, 1);
      assert.equal((await store.getRollout('ro_00000001'))!.counts.succeeded, 1);
      assert.equal(await store.updateRollout('ro_nope', bump), null);
    },
  ],
  [
    'held jobs of a rollout are listed in creation order until released or ended, and never due',
    async (store) => {
      const max = Number.MAX_SAFE_INTEGER;
      await store.createJobs([
        job('job_00000001', { rollout: 'ro_1' }),
        job('job_00000002', { rollout: 'ro_1', held: true, deliver_by: max }),
        job('job_00000003', { rollout: 'ro_1', held: true, deliver_by: max }),
        job('job_00000004', { rollout: 'ro_2', held: true, deliver_by: max }),
      ]);
      await store.createJob(job('job_00000005', { rollout: 'ro_1', held: true, deliver_by: max }));
      const held = async (r: string, limit = 10) =>
        (await store.listHeldJobs(r, limit)).map((j) => j.id);
      assert.deepEqual(await held('ro_1'), ['job_00000002', 'job_00000003', 'job_00000005']);
      assert.deepEqual(await held('ro_1', 1), ['job_00000002']);
      assert.deepEqual(
        (await store.listDueJobs(1000)).map((j) => j.id),
        ['job_00000001'],
      );
      // Released: no longer held, and due by its new deadline.
      await store.updateJob('job_00000002', (j) => ({ ...j, held: false, deliver_by: 500 }));
      assert.deepEqual(await held('ro_1', 1), ['job_00000003']);
      assert.deepEqual((await store.listDueJobs(1000)).map((j) => j.id).sort(), [
        'job_00000001',
        'job_00000002',
      ]);
      // Cancelled while held: gone from the held list too.
      await store.updateJob('job_00000003', (j) => ({ ...j, state: 'cancelled' }));
      assert.deepEqual(await held('ro_1'), ['job_00000005']);
      assert.deepEqual(await held('ro_2'), ['job_00000004']);
    },
  ],
  ...enrolmentContract,
  ...operatorStoreContract,
];
