import { describe, expect, it } from 'vitest';
import { diffJobIndexKeys, jobIndexKeys } from '../../edge/jobs/job-indexes.ts';
import { job } from './store-contract.ts';

describe('jobIndexKeys: the per-state indexes a job record belongs in', () => {
  it('a queued job is open and due at its delivery deadline', () => {
    expect(jobIndexKeys(job('job_a0000001', { deliver_by: 42 }))).toEqual([
      ['job_by_hive', 'h1', 'job_a0000001'],
      ['open', 'h1', 'job_a0000001'],
      ['due', 42, 'job_a0000001'],
    ]);
  });

  it('a held job of a rollout is also in its rollout held index, until it is no longer queued', () => {
    const held = job('job_a0000002', { held: true, rollout: 'ro_1', deliver_by: 7 });
    expect(jobIndexKeys(held)).toContainEqual(['held', 'ro_1', 'job_a0000002']);
    expect(jobIndexKeys({ ...held, state: 'cancelled' })).toEqual([
      ['job_by_hive', 'h1', 'job_a0000002'],
    ]);
  });

  it('a dispatched or running job is open only; a terminal one only in its hive list', () => {
    for (const state of ['dispatched', 'running'] as const) {
      expect(jobIndexKeys(job('job_a0000003', { state }))).toEqual([
        ['job_by_hive', 'h1', 'job_a0000003'],
        ['open', 'h1', 'job_a0000003'],
      ]);
    }
    for (const state of [
      'succeeded',
      'failed',
      'cancelled',
      'timed_out',
      'delivery_timed_out',
    ] as const) {
      expect(jobIndexKeys(job('job_a0000004', { state }))).toEqual([
        ['job_by_hive', 'h1', 'job_a0000004'],
      ]);
    }
  });

  it('an update removes the keys the new record lacks and adds its new ones, nothing else', () => {
    const queued = job('job_a0000005', { deliver_by: 10 });
    expect(diffJobIndexKeys(queued, { ...queued, state: 'dispatched' })).toEqual({
      remove: [['due', 10, 'job_a0000005']],
      add: [],
    });
    expect(diffJobIndexKeys(queued, { ...queued, deliver_by: 20 })).toEqual({
      remove: [['due', 10, 'job_a0000005']],
      add: [['due', 20, 'job_a0000005']],
    });
    expect(diffJobIndexKeys(queued, { ...queued, step: 'x' })).toEqual({ remove: [], add: [] });
  });
});
