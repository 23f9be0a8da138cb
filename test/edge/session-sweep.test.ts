import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionSweep } from '../../edge/auth/session-sweep.ts';
import { SESSION_TTL_MS, Sessions } from '../../edge/auth/sessions.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';

let edge: Awaited<ReturnType<typeof inProcessEdge>>;
beforeAll(async () => {
  edge = await inProcessEdge();
}, 60_000);
afterAll(() => edge?.close());

const count = async () => {
  let n = 0;
  let after: string | null = null;
  for (;;) {
    const page = await edge.edge.store.listMeta('session:', after, 1000);
    if (page.length === 0) return n;
    n += page.length;
    after = page[page.length - 1]!.key;
  }
};

describe('the expired-session sweep', () => {
  it('removes expired sessions in batches, keeps live ones, and runs on one instance at a time', async () => {
    const store = edge.edge.store;
    const past = new Sessions(store, () => Date.now() - SESSION_TTL_MS - 60_000);
    const live = new Sessions(store);
    for (let i = 0; i < 450; i++) await past.create(); // expired a minute ago, never shown again
    const kept: string[] = [];
    for (let i = 0; i < 20; i++) kept.push((await live.create()).id);
    expect(await count()).toBe(470);

    const sweep = edge.edge.edge.sessionSweep.run();
    const other = new SessionSweep(store, 60_000, Date.now); // another instance, same store
    expect(await other.run()).toBe(0); // the lease is taken
    expect(await sweep).toBe(450);
    expect(await count()).toBe(20);
    for (const id of kept) expect(await live.get(id)).not.toBeNull();
    await other.close();
  });

  it('after sign-out everywhere, the sessions of the old generation are swept too', async () => {
    expect((await edge.api('POST', '/api/sessions/revoke-all')).status).toBe(200);
    // The lease of the last sweep is this instance's own: it renews it.
    expect(await edge.edge.edge.sessionSweep.run()).toBe(20);
    expect(await count()).toBe(0);
  });
});
