/**
 * The Store contract for enrolment: tokens by id and hash, counted by compare-and-set, and the
 * machine index that makes a re-enrolment find its hive. Part of storeContract, so every engine
 * (KV on Node and Deno, Redis) runs it.
 */
import assert from 'node:assert/strict';
import type { EnrolmentTokenRecord, HiveRecord } from '../../edge/store/records.ts';
import type { Store } from '../../edge/store/store.ts';

const hive = (id: string, over: Partial<HiveRecord> = {}): HiveRecord => ({
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

export const enrolmentToken = (
  id: string,
  over: Partial<EnrolmentTokenRecord> = {},
): EnrolmentTokenRecord => ({
  id,
  name: null,
  labels: {},
  token_hash: `ehash-${id}`,
  max_uses: 3,
  uses: 0,
  expires_at: null,
  revoked_at: null,
  created_at: 1,
  ...over,
});

export const enrolmentContract: [name: string, run: (store: Store) => Promise<void>][] = [
  [
    'an enrolment token is found by id and by hash; ids and hashes are unique',
    async (store) => {
      assert.equal(await store.createEnrolmentToken(enrolmentToken('enr_1')), true);
      assert.equal(
        await store.createEnrolmentToken(enrolmentToken('enr_1', { token_hash: 'x' })),
        false,
      );
      assert.equal(
        await store.createEnrolmentToken(enrolmentToken('enr_2', { token_hash: 'ehash-enr_1' })),
        false,
      );
      assert.equal((await store.getEnrolmentToken('enr_1'))?.max_uses, 3);
      assert.equal((await store.getEnrolmentTokenByHash('ehash-enr_1'))?.id, 'enr_1');
      assert.equal(await store.getEnrolmentTokenByHash('nope'), null);
      assert.equal(await store.getEnrolmentToken('enr_9'), null);
    },
  ],
  [
    'enrolment tokens list oldest first and are not mistaken for hives',
    async (store) => {
      await store.createEnrolmentToken(enrolmentToken('enr_b', { created_at: 2 }));
      await store.createEnrolmentToken(enrolmentToken('enr_a', { created_at: 1 }));
      await store.createHive(hive('h1'));
      assert.deepEqual(
        (await store.listEnrolmentTokens()).map((t) => t.id),
        ['enr_a', 'enr_b'],
      );
      assert.deepEqual(
        (await store.listHives()).map((h) => h.id),
        ['h1'],
      );
    },
  ],
  [
    'concurrent uses of an enrolment token never pass max_uses',
    async (store) => {
      await store.createEnrolmentToken(enrolmentToken('enr_1', { max_uses: 3 }));
      const use = () =>
        store.updateEnrolmentToken('enr_1', (t) =>
          t.max_uses !== null && t.uses >= t.max_uses ? null : { ...t, uses: t.uses + 1 },
        );
      const results = await Promise.all(Array.from({ length: 6 }, use));
      assert.equal(results.filter((r) => r !== null).length, 3);
      assert.equal((await store.getEnrolmentToken('enr_1'))?.uses, 3);
      assert.equal(await store.updateEnrolmentToken('enr_9', (t) => t), null);
    },
  ],
  [
    'a hive is found by machine; a second hive with the same machine is refused; delete frees it',
    async (store) => {
      assert.equal(await store.createHive(hive('h1', { machine: 'm1' })), true);
      assert.equal(await store.createHive(hive('h2', { machine: 'm1' })), false);
      assert.equal(await store.getHive('h2'), null);
      assert.equal((await store.getHiveByMachine('m1'))?.id, 'h1');
      assert.equal(await store.getHiveByMachine('m2'), null);
      assert.equal(await store.deleteHive('h1'), true);
      assert.equal(await store.getHiveByMachine('m1'), null);
      assert.equal(await store.createHive(hive('h2', { machine: 'm1' })), true);
    },
  ],
  [
    'replaceHiveToken moves the token index: the old hash finds nothing, the new one the hive',
    async (store) => {
      await store.createHive(hive('h1', { labels: { a: 'b' } }));
      const next = await store.replaceHiveToken('h1', 'hash-new');
      assert.equal(next?.token_hash, 'hash-new');
      assert.equal(await store.getHiveByTokenHash('hash-h1'), null);
      assert.equal((await store.getHiveByTokenHash('hash-new'))?.id, 'h1');
      assert.deepEqual((await store.getHive('h1'))?.labels, { a: 'b' });
      assert.equal(await store.replaceHiveToken('h9', 'x'), null);
      await store.deleteHive('h1');
      assert.equal(await store.getHiveByTokenHash('hash-new'), null);
    },
  ],
];
