import type { WebhookEvent } from '../../shared/api/webhooks.ts';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from '../../shared/client/webhook-signature.ts';
import { randomId } from '../auth/tokens.ts';
import { newJobId } from '../jobs/job-id.ts';
import type { EdgeOptions } from '../options.ts';
import type { DeliveryRecord, WebhookRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

export type WebhookOptions = Pick<
  EdgeOptions,
  | 'webhookAttempts'
  | 'webhookBackoffMs'
  | 'webhookBackoffCapMs'
  | 'webhookTimeoutMs'
  | 'webhookLeaseMs'
  | 'webhookPollMs'
>;

/** Deliveries one instance attempts at once. */
const PARALLEL = 8;
/** How long the list of webhooks is reused before it is read again (a busy fleet ends many jobs). */
const LIST_TTL_MS = 1000;

/** A delivery id that sorts by creation time, like a job id. */
const deliveryId = (now: number) => `dlv_${newJobId(now).slice(4)}`;

/**
 * The delay before attempt `attempt + 1`: doubling from the base up to the cap, with half of
 * it random, so a receiver that comes back is not hit by every retry in the same second.
 */
export function backoffMs(options: WebhookOptions, attempt: number, random = Math.random) {
  const full = Math.min(options.webhookBackoffCapMs, options.webhookBackoffMs * 2 ** (attempt - 1));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * Webhook deliveries, durable in the store. `emit` stores one delivery per subscribed webhook;
 * every instance polls for due deliveries and takes each by compare-and-set on its record (a
 * lease until `now + webhookLeaseMs`), so one instance attempts a delivery at a time and one that
 * dies mid-attempt leaves it to another after the lease. Each attempt is signed afresh; a 2xx
 * answer delivers, anything else is retried with backoff until the attempts are used up.
 */
export class WebhookService {
  #timer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #cached: { at: number; hooks: WebhookRecord[] } | null = null;
  readonly #owner = `wh_${randomId(10)}`;
  /** Attempts made by this instance by outcome: delivered, retried (to be tried again), failed. */
  readonly attempts = new Map<'delivered' | 'retried' | 'failed', number>();

  constructor(
    private readonly store: Store,
    private readonly options: WebhookOptions,
    private readonly now: () => number,
    private readonly doFetch: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  start() {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.kick(), this.options.webhookPollMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops polling and waits for the attempts under way; events after this are not queued. */
  async close() {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** The webhooks changed on this instance: read them again on the next event. */
  forget() {
    this.#cached = null;
  }

  async #webhooks(): Promise<WebhookRecord[]> {
    const at = this.now();
    if (this.#cached && at - this.#cached.at < LIST_TTL_MS) return this.#cached.hooks;
    const hooks = await this.store.listWebhooks();
    this.#cached = { at, hooks };
    return hooks;
  }

  /** Queues `event` for every webhook subscribed to it (or only `only`), then wakes the sender. */
  async emit(event: WebhookEvent, data: unknown, only?: WebhookRecord): Promise<DeliveryRecord[]> {
    if (this.#closed) return []; // sockets closing as the edge stops are not hives going offline
    const hooks = only ? [only] : (await this.#webhooks()).filter((h) => h.events.includes(event));
    if (hooks.length === 0) return [];
    const at = this.now();
    const deliveries = hooks.map((hook): DeliveryRecord => {
      const id = deliveryId(at);
      return {
        id,
        webhook: hook.id,
        event,
        state: 'pending',
        created_at: at,
        attempts: [],
        next_at: at,
        delivered_at: null,
        body: JSON.stringify({ id, event, at, data }),
        due_at: at,
        lease_owner: null,
      };
    });
    await this.store.addDeliveries(deliveries);
    this.kick();
    return deliveries;
  }

  /** Starts a pass over due deliveries now (one pass at a time; a kick during one runs another). */
  kick() {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass()
      .catch((error) => console.error('webhook deliveries failed:', error))
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Attempts what is due, PARALLEL at a time, until nothing is due. */
  async #pass() {
    while (!this.#closed) {
      const due = await this.store.listDueDeliveries(this.now(), PARALLEL * 4);
      if (due.length === 0) return;
      let taken = 0;
      const queue = [...due];
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let d = queue.shift(); d; d = queue.shift()) {
            if (await this.#attempt(d)) taken++;
          }
        }),
      );
      if (taken === 0) return; // everything due was taken by other instances
    }
  }

  /** Takes the lease on one delivery and attempts it; false when another instance has it. */
  async #attempt(seen: DeliveryRecord): Promise<boolean> {
    const now = this.now();
    const leased = await this.store.updateDelivery(seen.webhook, seen.id, (d) =>
      d.due_at === null || d.due_at > now
        ? null
        : {
            ...d,
            state: 'delivering',
            due_at: now + this.options.webhookLeaseMs,
            next_at: now + this.options.webhookLeaseMs,
            lease_owner: this.#owner,
          },
    );
    if (!leased) return false;
    const hook = await this.store.getWebhook(leased.webhook);
    if (!hook) return true; // deleted meanwhile: its deliveries went with it
    const result = await this.#send(hook, leased);
    const at = this.now();
    const stored = await this.store.updateDelivery(leased.webhook, leased.id, (d) => {
      if (d.lease_owner !== this.#owner || d.state !== 'delivering') return null; // lease lost
      const attempts = [...d.attempts, { at: result.at, ...result.outcome }];
      if (result.ok) {
        return {
          ...d,
          attempts,
          state: 'delivered',
          delivered_at: at,
          due_at: null,
          next_at: null,
        };
      }
      if (attempts.length >= this.options.webhookAttempts) {
        return { ...d, attempts, state: 'failed', due_at: null, next_at: null, lease_owner: null };
      }
      const next = at + backoffMs(this.options, attempts.length);
      return { ...d, attempts, state: 'pending', due_at: next, next_at: next, lease_owner: null };
    });
    if (stored) {
      const outcome =
        stored.state === 'pending' ? 'retried' : (stored.state as 'delivered' | 'failed');
      this.attempts.set(outcome, (this.attempts.get(outcome) ?? 0) + 1);
    }
    return true;
  }

  /** One signed POST; the answer's body is never read (the edge is not a way to fetch pages). */
  async #send(hook: WebhookRecord, d: DeliveryRecord) {
    const at = this.now();
    const started = Date.now();
    const stamp = Math.floor(at / 1000);
    const outcome = (status: number, error: string | null) => ({
      status,
      error,
      duration_ms: Date.now() - started,
    });
    try {
      const res = await this.doFetch(hook.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.webhookTimeoutMs),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'rbee-edge-webhooks',
          [EVENT_HEADER]: d.event,
          [DELIVERY_HEADER]: d.id,
          [TIMESTAMP_HEADER]: String(stamp),
          [SIGNATURE_HEADER]: await signWebhook(hook.secret, d.body, stamp),
        },
        body: d.body,
      });
      await res.body?.cancel().catch(() => {});
      const ok = res.status >= 200 && res.status < 300;
      return {
        at,
        ok,
        outcome: outcome(res.status, ok ? null : `the receiver answered ${res.status}`),
      };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${this.options.webhookTimeoutMs} ms`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
      return {
        at,
        ok: false,
        outcome: outcome(0, `cannot reach ${new URL(hook.url).host}: ${why}`),
      };
    }
  }
}
