import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobError, JobOutcome, JobSpec } from '../../shared/protocol/index.ts';
import { ATOMIC_TEMP_SUFFIX, writeFileAtomic } from '../fs/atomic-write.ts';
import { canMoveLedger, type LedgerState, LedgerTransitionError } from './ledger-transitions.ts';

export type { LedgerState } from './ledger-transitions.ts';

export type LedgerRecord = {
  job: JobSpec;
  state: LedgerState;
  accepted_at: number;
  updated_at: number;
  outcome?: JobOutcome;
  /** Entries the job produced; set with the outcome. */
  total?: number;
  error?: JobError;
};

/** One move of a job's record; a finished job carries its outcome and entry count. */
export type LedgerChange =
  | { state: 'running' }
  | { state: 'finished'; outcome: JobOutcome; total: number; error?: JobError }
  | { state: 'reported' };

export type LedgerOptions = {
  /** Reported records older than this are forgotten at start (default 30 days). */
  retainReportedMs?: number;
  now?: () => number;
  /** Told of every state change once it is on disk, with the state it left. */
  onChange?: (record: LedgerRecord, from: LedgerState | undefined) => void;
};

/**
 * The jobs this hive has accepted, one small JSON file per job under `dir`, each written
 * atomically (temporary file, fsync, rename, fsync of the folder) so a crash leaves either the
 * old record or the new one, never half of one. It is what makes accepting a job idempotent.
 * @example
 * const ledger = await Ledger.open('/var/lib/rbee/jobs');
 * if (await ledger.accept(spec)) run(spec); // false: a redelivery, not run again
 */
export class Ledger {
  private readonly records = new Map<string, LedgerRecord>();
  private readonly now: () => number;
  private readonly onChange: LedgerOptions['onChange'];
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    options: LedgerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange;
  }

  /** Reads every record in `dir` (creating it), dropping long-reported ones. */
  static async open(dir: string, options: LedgerOptions = {}): Promise<Ledger> {
    const ledger = new Ledger(dir, options);
    const retain = options.retainReportedMs ?? 30 * 24 * 3600 * 1000;
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      if (name.endsWith(ATOMIC_TEMP_SUFFIX)) {
        await rm(path, { force: true }); // a write that never reached its rename
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let record: LedgerRecord;
      try {
        record = JSON.parse(await readFile(path, 'utf8')) as LedgerRecord;
        if (typeof record.job?.id !== 'string') throw new Error('no job id');
      } catch {
        // Atomic writes make this a disk fault; keep the file for a person, not in the way.
        await rename(path, `${path}.corrupt`);
        continue;
      }
      if (record.state === 'reported' && ledger.now() - record.updated_at > retain) {
        await rm(path, { force: true });
        continue;
      }
      ledger.records.set(record.job.id, record);
    }
    return ledger;
  }

  get(id: string): LedgerRecord | undefined {
    return this.records.get(id);
  }

  /** Every record the edge has not confirmed yet, oldest first. */
  unreported(): LedgerRecord[] {
    return [...this.records.values()]
      .filter((r) => r.state !== 'reported')
      .sort((a, b) => a.accepted_at - b.accepted_at);
  }

  /**
   * Records a new job durably and returns true, or returns false when the id is already known
   * (the caller answers `accept` with `duplicate: true` and does not run it).
   */
  async accept(job: JobSpec): Promise<boolean> {
    if (this.records.has(job.id)) return false;
    const at = this.now();
    const record: LedgerRecord = { job, state: 'accepted', accepted_at: at, updated_at: at };
    this.records.set(job.id, record);
    try {
      await this.write(record);
    } catch (error) {
      this.records.delete(job.id);
      throw error;
    }
    this.onChange?.(record, undefined);
    return true;
  }

  /**
   * The one way a record changes state: checked against `ledgerTransitions` (an illegal move
   * throws `LedgerTransitionError` and changes nothing), then written before it resolves.
   */
  async update(id: string, change: LedgerChange): Promise<LedgerRecord> {
    const current = this.records.get(id);
    if (!current) throw new Error(`Cannot update job ${id}: it is not in the ledger`);
    if (!canMoveLedger(current.state, change.state)) {
      throw new LedgerTransitionError(id, current.state, change.state);
    }
    const record: LedgerRecord = { ...current, ...change, updated_at: this.now() };
    this.records.set(id, record);
    await this.write(record);
    this.onChange?.(record, current.state);
    return record;
  }

  private write(record: LedgerRecord): Promise<void> {
    const path = join(this.dir, `${record.job.id}.json`);
    const text = `${JSON.stringify(record)}\n`;
    // One write at a time keeps a slow older write from landing after a newer one.
    const result = this.writes.then(() => writeFileAtomic(path, text));
    this.writes = result.catch(() => undefined);
    return result;
  }
}
