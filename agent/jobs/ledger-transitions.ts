/**
 * Where a job stands on this hive. `accepted`: recorded, not started yet; `running`: the build
 * started; `finished`: the outcome is known but the edge has not confirmed it (`done_ack`);
 * `reported`: the edge has everything (or does not know the job), and the record only remains
 * so a redelivery is recognised.
 */
export type LedgerState = 'accepted' | 'running' | 'finished' | 'reported';

/**
 * The agent's job state machine, the counterpart of the edge's `edge/jobs/transitions.ts`: for
 * each state, the states it may move to; anything else is refused by `Ledger.update`.
 * `accepted → finished` is a job cancelled before it started; `accepted | running → reported`
 * is a job the edge no longer knows, let go without an outcome.
 */
export const ledgerTransitions: Record<LedgerState, readonly LedgerState[]> = {
  accepted: ['running', 'finished', 'reported'],
  running: ['finished', 'reported'],
  finished: ['reported'],
  reported: [],
};

export const canMoveLedger = (from: LedgerState, to: LedgerState): boolean =>
  ledgerTransitions[from].includes(to);

/** A ledger change the table does not allow: a bug in the agent, named with the job and states. */
export class LedgerTransitionError extends Error {
  readonly code = 'ILLEGAL_LEDGER_TRANSITION';
  constructor(
    readonly job: string,
    readonly from: LedgerState,
    readonly to: LedgerState,
  ) {
    const allowed = ledgerTransitions[from];
    super(
      `Cannot move job ${job} from ${from} to ${to}: ${from} may only move to ${
        allowed.length ? allowed.join(', ') : 'nothing (it is final)'
      }`,
    );
    this.name = 'LedgerTransitionError';
  }
}
