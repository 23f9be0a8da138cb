/** Store contract cases for named API tokens and the audit log (spread into storeContract). */
import assert from 'node:assert/strict';
import type { ApiTokenRecord, AuditRecord } from '../../edge/store/records.ts';
import type { Store } from '../../edge/store/store.ts';

type Case = [name: string, run: (store: Store) => Promise<void>];

const token = (name: string, over: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
  name,
  role: 'viewer',
  token_hash: `hash-${name}`,
  created_at: 1,
  created_by: 'admin',
  expires_at: null,
  revoked_at: null,
  ...over,
});

const audit = (id: string, at: number, over: Partial<AuditRecord> = {}): AuditRecord => ({
  id,
  at,
  actor: 'admin',
  role: 'admin',
  action: 'hive.create',
  target: null,
  status: 201,
  source: null,
  ...over,
});

export const operatorStoreContract: Case[] = [
  [
    'api tokens: a name is taken once, found by hash, listed, and revocation drops the hash',
    async (store) => {
      assert.equal(await store.createApiToken(token('ci', { role: 'operator' })), true);
      assert.equal(await store.createApiToken(token('ci', { token_hash: 'other' })), false);
      await store.createApiToken(token('watcher'));
      assert.equal((await store.getApiTokenByHash('hash-ci'))?.role, 'operator');
      assert.equal(await store.getApiTokenByHash('other'), null);
      assert.deepEqual(
        (await store.listApiTokens()).map((t) => t.name),
        ['ci', 'watcher'],
      );
      const revoked = await store.revokeApiToken('ci', 50);
      assert.equal(revoked?.revoked_at, 50);
      assert.equal(await store.getApiTokenByHash('hash-ci'), null);
      assert.equal((await store.revokeApiToken('ci', 60))?.revoked_at, 50);
      assert.equal(await store.revokeApiToken('nobody', 60), null);
      assert.equal((await store.listApiTokens()).length, 2);
    },
  ],
  [
    'audit entries list newest first, filtered by since, actor and action, with a limit',
    async (store) => {
      await store.appendAudit(audit('a1', 100));
      await store.appendAudit(audit('a2', 200, { actor: 'ci', action: 'worker.install' }));
      await store.appendAudit(audit('a3', 300, { actor: 'ci', action: 'job.cancel' }));
      await store.appendAudit(audit('a4', 300, { action: 'token.create' }));
      const ids = async (f: Parameters<Store['listAudit']>[0]) =>
        (await store.listAudit(f)).map((e) => e.id);
      assert.deepEqual(await ids({}), ['a4', 'a3', 'a2', 'a1']);
      assert.deepEqual(await ids({ since: 200 }), ['a4', 'a3', 'a2']);
      assert.deepEqual(await ids({ actor: 'ci' }), ['a3', 'a2']);
      assert.deepEqual(await ids({ action: 'worker.install' }), ['a2']);
      assert.deepEqual(await ids({ limit: 1 }), ['a4']);
      assert.deepEqual(await store.listAudit({ since: 250, actor: 'ci' }), [
        audit('a3', 300, { actor: 'ci', action: 'job.cancel' }),
      ]);
    },
  ],
];
