import type { KvKey, KvLike } from '../store/kv-like.ts';
import type { DeliveryRecord, WebhookRecord } from '../store/records.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const pack = (value: unknown) => enc.encode(JSON.stringify(value));
const read = <T>(value: Uint8Array | null): T | null =>
  value === null ? null : (JSON.parse(dec.decode(value)) as T);
const INDEXED = pack(1);

const K = {
  webhook: (id: string): KvKey => ['webhook', id],
  delivery: (webhook: string, id: string): KvKey => ['delivery', webhook, id],
  // Keyed by time first: a range up to `now` is what is due, soonest first.
  due: (at: number, webhook: string, id: string): KvKey => ['delivery_due', at, webhook, id],
};

/** Mutations per commit when a webhook's deliveries are removed (Deno KV caps a commit). */
const DELETES_PER_COMMIT = 200;

/** Webhooks and deliveries on the Deno KV API (KvStore delegates here). */
export const kvWebhooks = {
  async create(kv: KvLike, webhook: WebhookRecord) {
    const res = await kv
      .atomic()
      .check({ key: K.webhook(webhook.id), versionstamp: null })
      .set(K.webhook(webhook.id), pack(webhook))
      .commit();
    return res.ok;
  },

  async get(kv: KvLike, id: string) {
    return read<WebhookRecord>((await kv.get<Uint8Array>(K.webhook(id))).value);
  },

  async list(kv: KvLike) {
    const out: WebhookRecord[] = [];
    for await (const e of kv.list<Uint8Array>({ prefix: ['webhook'] })) {
      out.push(read<WebhookRecord>(e.value)!);
    }
    return out.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  },

  /** The webhook goes first (nothing new is queued for it), then its deliveries in batches. */
  async delete(kv: KvLike, id: string) {
    const entry = await kv.get<Uint8Array>(K.webhook(id));
    if (entry.value === null) return false;
    await kv.delete(K.webhook(id));
    for (;;) {
      const op = kv.atomic();
      let n = 0;
      for await (const e of kv.list<Uint8Array>(
        { prefix: ['delivery', id] },
        { limit: DELETES_PER_COMMIT / 2 },
      )) {
        const d = read<DeliveryRecord>(e.value)!;
        op.delete(e.key);
        if (d.due_at !== null) op.delete(K.due(d.due_at, id, d.id));
        n++;
      }
      if (n === 0) return true;
      await op.commit();
    }
  },

  async add(kv: KvLike, deliveries: DeliveryRecord[]) {
    for (let i = 0; i < deliveries.length; i += DELETES_PER_COMMIT / 2) {
      const op = kv.atomic();
      for (const d of deliveries.slice(i, i + DELETES_PER_COMMIT / 2)) {
        op.set(K.delivery(d.webhook, d.id), pack(d));
        if (d.due_at !== null) op.set(K.due(d.due_at, d.webhook, d.id), INDEXED);
      }
      await op.commit();
    }
  },

  async listDue(kv: KvLike, now: number, limit: number) {
    const out: DeliveryRecord[] = [];
    for await (const e of kv.list({ prefix: ['delivery_due'], end: ['delivery_due', now + 1] })) {
      const [, , webhook, id] = e.key as [string, number, string, string];
      const d = read<DeliveryRecord>((await kv.get<Uint8Array>(K.delivery(webhook, id))).value);
      if (d && d.due_at !== null && d.due_at <= now) out.push(d);
      else await kv.delete(e.key); // its delivery is gone (webhook deleted): a stale index key
      if (out.length >= limit) break;
    }
    return out;
  },

  async update(
    kv: KvLike,
    webhook: string,
    id: string,
    fn: (d: DeliveryRecord) => DeliveryRecord | null,
  ) {
    for (;;) {
      const entry = await kv.get<Uint8Array>(K.delivery(webhook, id));
      const current = read<DeliveryRecord>(entry.value);
      if (!current) return null;
      const next = fn(current);
      if (!next) return null;
      const op = kv.atomic().check(entry).set(K.delivery(webhook, id), pack(next));
      if (current.due_at !== next.due_at) {
        if (current.due_at !== null) op.delete(K.due(current.due_at, webhook, id));
        if (next.due_at !== null) op.set(K.due(next.due_at, webhook, id), INDEXED);
      }
      if ((await op.commit()).ok) return next;
    }
  },

  /** Removes a webhook's finished deliveries made before `before`, oldest first; how many. */
  async pruneDeliveries(kv: KvLike, webhook: string, before: number, limit: number) {
    const op = kv.atomic();
    let n = 0;
    for await (const e of kv.list<Uint8Array>({ prefix: ['delivery', webhook] }, { limit })) {
      const d = read<DeliveryRecord>(e.value)!;
      if (d.created_at >= before) break; // ids sort by creation time
      if (d.state !== 'delivered' && d.state !== 'failed') continue;
      op.delete(e.key);
      n++;
    }
    if (n > 0) await op.commit();
    return n;
  },

  async listDeliveries(kv: KvLike, webhook: string, limit: number) {
    const out: DeliveryRecord[] = [];
    for await (const e of kv.list<Uint8Array>(
      { prefix: ['delivery', webhook] },
      { reverse: true, limit },
    )) {
      out.push(read<DeliveryRecord>(e.value)!);
    }
    return out;
  },
};
