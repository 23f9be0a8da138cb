import type { EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';
import type { Hub, HubPeers } from '../hub/hub.ts';
import { FLEET_WAKE, LogBus } from '../logs/log-bus.ts';
import { Presence } from '../presence/presence.ts';
import type { Store } from '../store/store.ts';
import type { BusMessage, BusTransport } from './transport.ts';

export type ClusterOptions = {
  transport: BusTransport;
  instanceId: string;
  /** Presence is announced every half heartbeat; a silent instance is gone after two. */
  heartbeatMs: number;
  /** A follower re-reads the store at least this often, woken or not. */
  pollMs?: number;
};

/**
 * The log bus across instances: a wake-up published here reaches followers on every instance.
 * A wake-up may be lost; `next` also resolves after `pollMs`, so a follower re-reads the store.
 */
export class ClusterBus extends LogBus {
  constructor(
    private readonly transport: BusTransport,
    private readonly instanceId: string,
    private readonly pollMs: number,
  ) {
    super();
  }

  override publish(job: string): void {
    super.publish(job);
    this.transport.publish({ from: this.instanceId, t: 'wake', job });
  }

  /** A wake-up from another instance: only the followers here. */
  override wakeLocal(job: string) {
    super.publish(job);
  }

  override next(job: string, signal: AbortSignal): Promise<void> {
    const poll = new AbortController();
    const timer = setTimeout(() => poll.abort(), this.pollMs);
    const onAbort = () => poll.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    return super.next(job, poll.signal).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  }
}

/**
 * One edge instance among many: the bus between them, and presence (which instance holds which
 * hive's socket) from the bus, with the store as the fallback when a message was lost.
 * @example const cluster = new Cluster(store, { transport, instanceId, heartbeatMs }); cluster.attach(hub);
 */
export class Cluster implements HubPeers {
  readonly bus: ClusterBus;
  readonly instanceId: string;
  readonly #presence: Presence;
  /** Other instances: until when each is alive, and the hives it holds. */
  readonly #instances = new Map<string, { until: number; hives: Set<string> }>();
  #hub: Hub | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #checking = false;

  constructor(
    store: Store,
    private readonly options: ClusterOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.instanceId = options.instanceId;
    this.bus = new ClusterBus(options.transport, options.instanceId, options.pollMs ?? 2000);
    this.#presence = new Presence(store, options.instanceId, now);
  }

  get #ttl() {
    return 2 * this.options.heartbeatMs;
  }

  attach(hub: Hub) {
    this.#hub = hub;
    hub.join(this, this.instanceId);
    this.options.transport.subscribe((m) => this.#receive(m));
    void this.#announce();
    const every = Math.max(50, Math.floor(this.options.heartbeatMs / 2));
    this.#timer = setInterval(() => void this.#announce(), every);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #publish(
    message: BusMessage extends infer M ? (M extends BusMessage ? Omit<M, 'from'> : never) : never,
  ) {
    this.options.transport.publish({ ...message, from: this.instanceId } as BusMessage);
  }

  #instance(id: string) {
    let entry = this.#instances.get(id);
    if (!entry) {
      entry = { until: this.now() + this.#ttl, hives: new Set() };
      this.#instances.set(id, entry);
    }
    return entry;
  }

  #receive(m: BusMessage) {
    if (m.from === this.instanceId) return;
    const hub = this.#hub;
    switch (m.t) {
      case 'wake':
        this.bus.wakeLocal(m.job);
        break;
      case 'send':
        if (m.to === this.instanceId) hub?.sendLocal(m.hive, m.message);
        break;
      case 'alive': {
        const entry = this.#instance(m.from);
        entry.until = this.now() + m.ttl;
        entry.hives = new Set(m.hives);
        // A hive announced by a newer holder elsewhere is not this other one's any more.
        break;
      }
      case 'took': {
        for (const [id, entry] of this.#instances) if (id !== m.from) entry.hives.delete(m.hive);
        const entry = this.#instance(m.from);
        entry.hives.add(m.hive);
        hub?.replacedElsewhere(m.hive, m.at);
        this.bus.wakeLocal(FLEET_WAKE); // online changed: the dashboards here re-read
        break;
      }
      case 'left':
        this.#instances.get(m.from)?.hives.delete(m.hive);
        this.bus.wakeLocal(FLEET_WAKE);
        break;
      case 'revoke':
        // Deleted or rotated: a rotation also ends the contest (the store says so already).
        hub?.revokeLocal(m.hive);
        hub?.contestedElsewhere(m.hive, false);
        break;
      case 'contested':
        hub?.contestedElsewhere(m.hive);
        break;
    }
  }

  /** Renews this instance's lease, announces its hives, and settles takeovers from the store. */
  async #announce() {
    const hub = this.#hub;
    if (!hub || this.#checking) return;
    this.#checking = true;
    try {
      const live = hub.liveHives();
      this.#publish({ t: 'alive', hives: [...live.keys()], ttl: this.#ttl });
      const now = this.now();
      for (const [id, entry] of this.#instances) if (entry.until < now) this.#instances.delete(id);
      await this.#presence.renew(this.#ttl);
      // A lost 'took' must not leave two live sessions: the stored holder decides.
      for (const [hive, since] of [...live]) {
        const holder = await this.#presence.holder(hive);
        if (holder && holder.instance !== this.instanceId && holder.at >= since) {
          hub.replacedElsewhere(hive, holder.at);
        }
      }
    } catch {
      // The store is unreachable: the next round tries again.
    } finally {
      this.#checking = false;
    }
  }

  holder(hive: string): string | null {
    const now = this.now();
    for (const [id, entry] of this.#instances) {
      if (entry.until > now && entry.hives.has(hive)) return id;
    }
    return null;
  }

  forward(hive: string, message: MessageBody<EdgeMessage>): boolean {
    const to = this.holder(hive);
    if (to === null) return false;
    this.#publish({ t: 'send', to, hive, message });
    return true;
  }

  took(hive: string, at: number) {
    for (const entry of this.#instances.values()) entry.hives.delete(hive);
    // Stored first, so the old holder's `left` (after it hears this) cannot erase it.
    this.#presence
      .took(hive, at)
      .catch(() => {})
      .finally(() => this.#publish({ t: 'took', hive, at }));
  }

  left(hive: string) {
    this.#publish({ t: 'left', hive });
    this.#presence.left(hive).catch(() => {});
  }

  revoke(hive: string) {
    this.#publish({ t: 'revoke', hive });
  }

  contested(hive: string) {
    this.#publish({ t: 'contested', hive });
  }

  async close() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#presence.retire().catch(() => {});
    this.options.transport.close();
  }
}
