import { type ProtocolError, protocolError } from '../../shared/protocol/errors.ts';
import type { HiveRecord } from '../store/records.ts';

/** What the contest rule needs to know of a session. */
export type Contender = { readonly hive: string; readonly closed: boolean; lastReceived: number };

/** The window competing connections are counted in. */
export const CONTEST_WINDOW_MS = 60_000;

/**
 * The stolen-token rule: one hive, one connection. A newcomer is refused with CONTESTED while
 * the hive's current connection on this instance is answering (heard from within one
 * heartbeat); a silent one (a half-open socket after a network cut) is replaced, and so is a
 * live one on another instance. Each competing connection, refused or replacing, on any
 * instance, is counted in the hive's stored record (`countContest`), so the count is the
 * fleet's, not one process's.
 */
export class ContestRule {
  constructor(
    private readonly heartbeatMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * `competes`: the newcomer meets a live holder here (count it). `refusal`: null admits it.
   */
  judge(
    newcomer: Contender,
    holder: Contender | undefined,
  ): { competes: boolean; refusal: ProtocolError | null } {
    if (!holder || holder === newcomer || holder.closed) return { competes: false, refusal: null };
    const silent = this.now() - holder.lastReceived;
    // The holder is gone: the newcomer replaces it.
    if (silent > this.heartbeatMs) return { competes: true, refusal: null };
    return {
      competes: true,
      refusal: protocolError(
        'CONTESTED',
        `hive ${newcomer.hive} already has a live connection (heard from ${silent} ms ago); a second connection with its token is refused. If the token was copied, rotate it: POST /api/hives/${newcomer.hive}/rotate-token`,
      ),
    };
  }
}

/**
 * One more competing connection at `now`, for the hive's compare-and-set update: the times
 * within the window are kept, and more than `maxPerMinute` marks the hive contested.
 */
export function countContest(hive: HiveRecord, now: number, maxPerMinute: number): HiveRecord {
  const contests = [...(hive.contests ?? []).filter((t) => now - t < CONTEST_WINDOW_MS), now];
  const tipped = contests.length > maxPerMinute;
  return { ...hive, contests, contested_at: hive.contested_at || (tipped ? now : null) };
}
