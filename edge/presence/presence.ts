import type { Store } from '../store/store.ts';

/** Who holds a hive's socket, as stored: the instance and when its session went live. */
export type HiveHolder = { instance: string; at: number };

const hiveKey = (hive: string) => `presence:hive:${hive}`;
const instanceKey = (instance: string) => `presence:instance:${instance}`;

/**
 * Presence in the store, read when a bus message may have been lost: each hive's holder (written
 * when a session goes live) and each instance's lease (renewed every half heartbeat). A holder
 * counts only while its instance's lease runs, so an instance that dies loses every hive it held
 * within two heartbeat intervals without anyone writing for it.
 */
export class Presence {
  constructor(
    private readonly store: Store,
    private readonly instance: string,
    private readonly now: () => number,
  ) {}

  async took(hive: string, at: number) {
    await this.store.setMeta(hiveKey(hive), JSON.stringify({ instance: this.instance, at }));
  }

  async left(hive: string) {
    const holder = await this.holder(hive, false);
    if (holder?.instance === this.instance) await this.store.deleteMeta(hiveKey(hive));
  }

  async renew(ttlMs: number) {
    await this.store.setMeta(instanceKey(this.instance), String(this.now() + ttlMs));
  }

  async retire() {
    await this.store.deleteMeta(instanceKey(this.instance));
  }

  /** The stored holder of the hive; with `live`, only while the holder's lease runs. */
  async holder(hive: string, live = true): Promise<HiveHolder | null> {
    const raw = await this.store.getMeta(hiveKey(hive));
    if (raw === null) return null;
    const holder = JSON.parse(raw) as HiveHolder;
    if (!live) return holder;
    const until = Number((await this.store.getMeta(instanceKey(holder.instance))) ?? 0);
    return until > this.now() ? holder : null;
  }
}
