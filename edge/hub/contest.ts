import { type ProtocolError, protocolError } from '../../shared/protocol/errors.ts';

/** What the contest rule needs to know of a session. */
export type Contender = { readonly hive: string; readonly closed: boolean; lastReceived: number };

/**
 * The stolen-token rule: one hive, one connection. A newcomer is refused with CONTESTED while
 * the hive's current connection is answering (heard from within one heartbeat); a silent one
 * (a half-open socket after a network cut) is replaced. Each competing connection, refused or
 * replacing, is counted; more than `maxPerMinute` in a minute marks the hive contested.
 */
export class ContestRule {
  readonly #seen = new Map<string, number[]>();

  constructor(
    private readonly heartbeatMs: number,
    private readonly maxPerMinute: number,
    private readonly now: () => number,
  ) {}

  /** Null to admit `newcomer`; the refusal otherwise. `contested` is told when the count tips. */
  judge(
    newcomer: Contender,
    holder: Contender | undefined,
    contested: (count: number) => void,
  ): ProtocolError | null {
    if (!holder || holder === newcomer || holder.closed) return null;
    const now = this.now();
    const times = (this.#seen.get(newcomer.hive) ?? []).filter((t) => now - t < 60_000);
    times.push(now);
    this.#seen.set(newcomer.hive, times);
    if (times.length > this.maxPerMinute) contested(times.length);
    const silent = now - holder.lastReceived;
    if (silent > this.heartbeatMs) return null; // the holder is gone: the newcomer replaces it
    return protocolError(
      'CONTESTED',
      `hive ${newcomer.hive} already has a live connection (heard from ${silent} ms ago); a second connection with its token is refused. If the token was copied, rotate it: POST /api/hives/${newcomer.hive}/rotate-token`,
    );
  }

  forget(hive: string) {
    this.#seen.delete(hive);
  }
}
