import { join } from 'node:path';
import { openKv } from '@deno/kv';
import { afterEach, describe, expect, it } from 'vitest';
import { openNodeStore } from '../../edge/node/open-store.ts';
import { isKvBusy, retryKvBusy } from '../../edge/store/kv-busy-retry.ts';
import type { KvLike } from '../../edge/store/kv-like.ts';
import type { KvStore } from '../../edge/store/kv-store.ts';
import { tempDir } from '../support/edge-process.ts';
import { rollout } from './store-contract.ts';

/** Compare-and-set increments of one counter, half through each handle, all at once. */
async function increments(handles: KvLike[], count: number) {
  const refused: unknown[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const kv = handles[i % handles.length]!;
      for (;;) {
        const entry = await kv.get<number>(['n']);
        try {
          const res = await kv
            .atomic()
            .check(entry)
            .set(['n'], (entry.value ?? 0) + 1)
            .commit();
          if (res.ok) return;
        } catch (error) {
          refused.push(error);
          return;
        }
      }
    }),
  );
  return { refused, n: (await handles[0]!.get<number>(['n'])).value ?? 0 };
}

describe('two handles on one KV file (two edge instances, as deploy-check runs them)', () => {
  const open: { close(): void | Promise<void> }[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  it('SQLite refuses some of their commits with "database is locked", and a refused commit wrote nothing', async () => {
    const path = join(tempDir('busy'), 'edge.kv');
    const handles = [await openKv(path), await openKv(path)] as unknown as KvLike[];
    open.push(...handles);
    // The refusals depend on timing: rounds until one is seen (a handful at most in practice).
    let total = 0;
    let refused: unknown[] = [];
    for (let round = 0; round < 50 && refused.length === 0; round++) {
      const r = await increments(handles, 200);
      total += 200 - r.refused.length;
      refused = r.refused;
      expect(r.n).toBe(total);
    }
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every(isKvBusy)).toBe(true);
  });

  it('through retryKvBusy every commit goes through and each counts once', async () => {
    const path = join(tempDir('busy'), 'edge.kv');
    const raw = [await openKv(path), await openKv(path)] as unknown as KvLike[];
    open.push(...raw);
    const handles = raw.map((kv) => retryKvBusy(kv));
    for (let round = 1; round <= 2; round++) {
      const r = await increments(handles, 100);
      expect(r.refused).toEqual([]);
      expect(r.n).toBe(round * 100);
    }
  });

  it('two KvStores on one file: concurrent rollout updates from both, none refused or lost', async () => {
    const dir = tempDir('busy');
    const stores: KvStore[] = [await openNodeStore(dir), await openNodeStore(dir)];
    open.push(...stores);
    await stores[0]!.createRollout(rollout('ro_00000001'));
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        stores[i % 2]!.updateRollout('ro_00000001', (r) => ({
          ...r,
          counts: { ...r.counts, succeeded: r.counts.succeeded + 1 },
        })),
      ),
    );
    expect((await stores[1]!.getRollout('ro_00000001'))?.counts.succeeded).toBe(100);
  });
});
