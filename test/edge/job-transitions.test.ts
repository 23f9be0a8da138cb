import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobService } from '../../edge/jobs/job-service.ts';
import { allowedTransitions, canTransition } from '../../edge/jobs/transitions.ts';
import { LogBus } from '../../edge/logs/log-bus.ts';
import { openNodeStore } from '../../edge/node/open-store.ts';
import { defaultEdgeOptions } from '../../edge/options.ts';
import type { JobRecord } from '../../edge/store/records.ts';
import type { Store } from '../../edge/store/store.ts';
import { type JobState, jobStateSchema, terminalStates } from '../../shared/protocol/job.ts';
import { tempDir } from '../support/edge-process.ts';
import { job } from './store-contract.ts';

const states = jobStateSchema.options;
const NOW = 1_000_000;
const pairs = states.flatMap((from) => states.map((to) => [from, to] as const));

/** A job stored in `from`, as the edge would have it there (a terminal one already ended). */
const storedIn = (id: string, from: JobState): JobRecord =>
  job(id, {
    hive: `hive-${id}`,
    state: from,
    step: from === 'running' ? 'build' : null,
    deliver_by: 500,
    ended_at: terminalStates.has(from) ? 5 : null,
    error: terminalStates.has(from) ? { message: 'how it ended first' } : null,
  });

describe('the job transition table, every pair of states through JobService.transition', () => {
  let store: Store;
  let jobs: JobService;
  const bus = new LogBus();
  const ended: string[] = [];
  beforeAll(async () => {
    store = await openNodeStore(tempDir('transitions'));
    jobs = new JobService(store, bus, defaultEdgeOptions, () => NOW);
    jobs.onJobEnd((j) => {
      ended.push(j.id);
    });
  });
  afterAll(() => store?.close());

  it('has a row for every state, and no way out of a terminal state (not even to itself)', () => {
    expect(Object.keys(allowedTransitions).sort()).toEqual([...states].sort());
    for (const from of terminalStates) expect(allowedTransitions[from]).toEqual([]);
    expect(canTransition('running', 'running')).toBe(true);
  });

  pairs.forEach(([from, to], i) => {
    const allowed = canTransition(from, to);
    it(`${from} → ${to} is ${allowed ? 'applied' : 'refused, and nothing in the store changes'}`, async () => {
      const id = `job_pair${String(i).padStart(4, '0')}`;
      const before = storedIn(id, from);
      expect(await store.createJob(before)).toBe(true);
      const open = async () => (await store.listOpenJobs(before.hive)).map((j) => j.id);
      const due = async () =>
        (await store.listDueJobs(Number.MAX_SAFE_INTEGER)).some((j) => j.id === id);
      const byHive = async () => (await store.listJobs({ hive: before.hive })).map((j) => j.id);
      const indexesBefore = { open: await open(), due: await due(), byHive: await byHive() };
      let published = 0;
      const off = bus.subscribe(id, () => published++);
      const result = await jobs.transition(id, to, {
        step: to === 'running' ? 'check' : null,
        error: { message: 'the change asked for' },
      });
      off();
      const after = await store.getJob(id);
      if (allowed) {
        const expected: JobRecord = {
          ...before,
          state: to,
          step: to === 'running' ? 'check' : null,
          error: { message: 'the change asked for' },
          updated_at: NOW,
          ended_at: terminalStates.has(to) ? NOW : null,
        };
        expect(result).toEqual(expected);
        expect(after).toEqual(expected);
        expect(published).toBe(1);
        expect(await open()).toEqual(terminalStates.has(to) ? [] : [id]);
        expect(await due()).toBe(to === 'queued');
        expect(ended.filter((e) => e === id)).toEqual(terminalStates.has(to) ? [id] : []);
      } else {
        expect(result).toBeNull();
        expect(after).toEqual(before);
        expect(published).toBe(0);
        expect({ open: await open(), due: await due(), byHive: await byHive() }).toEqual(
          indexesBefore,
        );
        expect(ended).not.toContain(id);
      }
    });
  });

  it('a second cancel of a cancelled job keeps how and when it ended', async () => {
    const id = 'job_twicecancelled';
    await store.createJob(storedIn(id, 'queued'));
    const first = await jobs.transition(id, 'cancelled', { error: { message: 'first' } });
    expect(first).toMatchObject({ state: 'cancelled', ended_at: NOW });
    expect(await jobs.transition(id, 'cancelled', { error: { message: 'second' } })).toBeNull();
    expect(await store.getJob(id)).toEqual(first);
  });
});
