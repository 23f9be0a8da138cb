import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Ledger, type LedgerChange } from '../../../agent/jobs/ledger.ts';
import {
  canMoveLedger,
  type LedgerState,
  LedgerTransitionError,
  ledgerTransitions,
} from '../../../agent/jobs/ledger-transitions.ts';
import type { JobSpec } from '../../../shared/protocol/index.ts';

const states: LedgerState[] = ['accepted', 'running', 'finished', 'reported'];
const spec = (id: string): JobSpec => ({ id, kind: 'install', worker: 'rbee-hello-worker' });
// `accepted` is no change's target (accept makes it); the cast shows the table refuses it anyway.
const change = (to: LedgerState): LedgerChange =>
  to === 'finished'
    ? { state: 'finished', outcome: 'succeeded', total: 3 }
    : ({ state: to } as LedgerChange);

/** The legal path from a new record to each state. */
const pathTo: Record<LedgerState, LedgerState[]> = {
  accepted: [],
  running: ['running'],
  finished: ['running', 'finished'],
  reported: ['reported'],
};

describe('ledger transitions', () => {
  test('the table: accepted, running and finished move forward; reported is final', () => {
    expect(ledgerTransitions).toEqual({
      accepted: ['running', 'finished', 'reported'],
      running: ['finished', 'reported'],
      finished: ['reported'],
      reported: [],
    });
  });

  for (const from of states) {
    for (const to of states) {
      const legal = ledgerTransitions[from].includes(to);
      test(`${from} -> ${to} is ${legal ? 'written' : 'refused, leaving the record as it was'}`, async () => {
        const dir = await mkdtemp(join(tmpdir(), 'rbee-ledger-moves-'));
        const ledger = await Ledger.open(dir);
        const id = `job_${from}${to}`;
        await ledger.accept(spec(id));
        for (const step of pathTo[from]) await ledger.update(id, change(step));
        const file = join(dir, `${id}.json`);
        const before = await readFile(file, 'utf8');
        expect(canMoveLedger(from, to)).toBe(legal);
        if (legal) {
          expect((await ledger.update(id, change(to))).state).toBe(to);
          expect(JSON.parse(await readFile(file, 'utf8')).state).toBe(to);
          return;
        }
        const refused = await ledger.update(id, change(to)).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(LedgerTransitionError);
        expect(refused).toMatchObject({ code: 'ILLEGAL_LEDGER_TRANSITION', job: id, from, to });
        expect((refused as Error).message).toMatch(
          new RegExp(`^Cannot move job ${id} from ${from} to ${to}: ${from} may only move to `),
        );
        expect(ledger.get(id)?.state).toBe(from);
        expect(await readFile(file, 'utf8')).toBe(before);
      });
    }
  }

  test('a refusal of a final state says it is final', () => {
    expect(new LedgerTransitionError('job_x', 'reported', 'running').message).toBe(
      'Cannot move job job_x from reported to running: reported may only move to nothing (it is final)',
    );
  });
});
