import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultEdgeOptions } from '../../edge/options.ts';
import type { KvStore } from '../../edge/store/kv-store.ts';
import { openRedisStore } from '../../edge/store/open-redis-store.ts';
import { WebhookService } from '../../edge/webhooks/webhook-service.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { webhookReceiver } from './webhook-receiver.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

const options = { ...defaultEdgeOptions, webhookBackoffMs: 30, webhookPollMs: 20 };

describe('webhook deliveries across instances (one Redis store)', () => {
  it('three instances polling one store attempt each delivery exactly once', async () => {
    const receiver = await webhookReceiver();
    const stores: KvStore[] = [];
    for (let i = 0; i < 3; i++) stores.push(await openRedisStore(`${redis.url}/1`));
    const services = stores.map((s) => new WebhookService(s, options, Date.now));
    try {
      await stores[0]!.createWebhook({
        id: 'wh_shared',
        url: receiver.url,
        events: ['job.ended'],
        secret: 'a-secret-of-sixteen-plus',
        description: null,
        created_at: Date.now(),
        created_by: 'admin',
      });
      // Events are queued by one instance; all three poll and race for every delivery.
      for (let i = 0; i < 60; i++) await services[i % 3]!.emit('job.ended', { n: i });
      for (const s of services) s.start();
      await vi.waitFor(() => expect(receiver.received.length).toBeGreaterThanOrEqual(60), 20_000);
      const listed = await stores[1]!.listDeliveries('wh_shared', 1000);
      await vi.waitFor(async () => {
        const now = await stores[2]!.listDeliveries('wh_shared', 1000);
        expect(now.filter((d) => d.state === 'delivered')).toHaveLength(60);
      }, 10_000);
      expect(listed).toHaveLength(60);
      const ids = receiver.received.map((r) => r.headers['x-rbee-delivery']);
      expect(new Set(ids).size).toBe(60);
      expect(ids).toHaveLength(60); // none was sent twice
      for (const d of await stores[0]!.listDeliveries('wh_shared', 1000)) {
        expect(d.attempts).toHaveLength(1);
      }
    } finally {
      for (const s of services) await s.close();
      for (const s of stores) await s.close();
      await receiver.close();
    }
  }, 60_000);

  it('a delivery whose instance died mid-attempt is taken by another once the lease runs out', async () => {
    const receiver = await webhookReceiver();
    const a = await openRedisStore(`${redis.url}/2`);
    const b = await openRedisStore(`${redis.url}/2`);
    let started!: () => void;
    const attempted = new Promise<void>((r) => {
      started = r;
    });
    const stuck = new AbortController();
    // Instance A's request never gets an answer (as if A froze); its lease is 300 ms.
    const hung = new WebhookService(
      a,
      { ...options, webhookLeaseMs: 300 },
      Date.now,
      (_u, init) => {
        started();
        return new Promise((_, reject) =>
          stuck.signal.addEventListener('abort', () => reject(new Error('frozen'))),
        );
      },
    );
    const healthy = new WebhookService(b, options, Date.now);
    try {
      await a.createWebhook({
        id: 'wh_lease',
        url: receiver.url,
        events: ['job.ended'],
        secret: 'a-secret-of-sixteen-plus',
        description: null,
        created_at: Date.now(),
        created_by: 'admin',
      });
      const [d] = await hung.emit('job.ended', { n: 1 });
      await attempted;
      const leased = (await b.listDeliveries('wh_lease', 1))[0]!;
      expect(leased.state).toBe('delivering');
      healthy.start();
      await receiver.next(0);
      await vi.waitFor(async () => {
        expect((await b.listDeliveries('wh_lease', 1))[0]!.state).toBe('delivered');
      }, 10_000);
      stuck.abort(); // A wakes up: its late failure does not overwrite the delivered record
      await hung.close();
      const [after] = await b.listDeliveries('wh_lease', 1);
      expect(after).toMatchObject({ id: d!.id, state: 'delivered' });
      expect(after!.attempts.map((x) => x.status)).toEqual([200]);
      expect(receiver.received).toHaveLength(1);
    } finally {
      stuck.abort();
      await hung.close();
      await healthy.close();
      await a.close();
      await b.close();
      await receiver.close();
    }
  }, 60_000);
});
