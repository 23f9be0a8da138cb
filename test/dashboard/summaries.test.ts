import { describe, expect, it } from 'vitest';
import { cachedPlatforms } from '../../edge/dashboard/client/cached-platforms.ts';
import { durationSeries } from '../../edge/dashboard/client/duration-chart.ts';
import { fleetSummary } from '../../edge/dashboard/client/fleet-summary.ts';
import { segmentWidths } from '../../edge/dashboard/client/rollout-bar.ts';
import type { Hive, Job } from '../../edge/dashboard/client/types.ts';
import type { CachedPackage } from '../../shared/api/dashboard-types.ts';

const hive = (name: string, over: Partial<Hive> = {}): Hive => ({
  id: `hive_${name}`,
  name,
  online: true,
  last_seen: null,
  labels: {},
  platform: { os: 'linux', arch: 'x86_64', accelerators: [] },
  installed: [],
  agent_version: '0.2.0',
  ...over,
});

describe('what the dashboard pages sum up', () => {
  it('a rollout whose only job failed is all failed and nothing succeeded', () => {
    const c = { total: 1, succeeded: 0, failed: 1, cancelled: 0, in_progress: 0, waiting: 0 };
    expect(segmentWidths(c)).toEqual({ succeeded: 0, failed: 100, cancelled: 0, in_progress: 0 });
    const mixed = { total: 4, succeeded: 1, failed: 1, cancelled: 1, in_progress: 0, waiting: 1 };
    expect(segmentWidths(mixed)).toEqual({
      succeeded: 25,
      failed: 25,
      cancelled: 25,
      in_progress: 0,
    });
    expect(segmentWidths({ ...c, total: 0, failed: 0 }).failed).toBe(0);
  });

  it('the fleet summary counts hives by state, platform and agent, and marks only real older versions', () => {
    const sum = fleetSummary(
      [
        hive('a', { agent_version: '0.1.9', installed: [{ id: 'w', version: '1.0.0-1' }] }),
        hive('b', { online: false, installed: [{ id: 'w', version: '1.0.0-1' }] }),
        hive('c', {
          agent_version: '0.10.0',
          contested: true,
          installed: [{ id: 'w', version: '1.1.0-1' }],
        }),
        hive('d', { agent_version: null, platform: null }),
      ],
      '0.2.0',
    );
    expect(sum.states).toEqual([
      ['online', 3],
      ['contested', 1],
      ['offline', 1],
    ]);
    expect(sum.platforms).toEqual([
      ['linux / x86_64', 3],
      ['not reported', 1],
    ]);
    expect(sum.agents).toEqual([
      ['0.1.9', 1],
      ['0.10.0', 1],
      ['0.2.0', 1],
      ['not reported', 1],
    ]);
    expect([...sum.older]).toEqual(['0.1.9']); // 0.10.0 is newer than 0.2.0; unknown is not older
    expect(sum.workers).toEqual([
      [
        'w',
        [
          ['1.0.0-1', 2],
          ['1.1.0-1', 1],
        ],
      ],
    ]);
    expect(fleetSummary([hive('a', { agent_version: '0.1.0' })], null).older.size).toBe(0);
  });

  it('cached platforms are per worker, os/arch plus accelerators, newest version first', () => {
    const pkg = (worker: string, version: string, accelerators: string[]) =>
      ({
        worker,
        version,
        facts: { os: 'linux', arch: 'x86_64', accelerators },
      }) as unknown as CachedPackage;
    expect(
      cachedPlatforms(
        [
          pkg('w', '1.1.0-1', ['cuda']),
          pkg('w', '1.0.0-1', ['cuda']),
          pkg('w', '1.0.0-1', []),
          pkg('x', '9', []),
        ],
        'w',
      ),
    ).toEqual([
      { platform: 'linux/x86_64', versions: ['1.0.0-1'], count: 1 },
      { platform: 'linux/x86_64+cuda', versions: ['1.1.0-1', '1.0.0-1'], count: 2 },
    ]);
  });

  it('job durations run from accepted (or sent) to ended, per worker, oldest first; unsent jobs are left out', () => {
    const job = (id: string, over: Partial<Job>): Job =>
      ({
        id,
        kind: 'install',
        worker: 'w',
        hive: 'h',
        state: 'succeeded',
        created_at: 0,
        ...over,
      }) as Job;
    const series = durationSeries([
      job('j2', { accepted_at: 100, ended_at: 400 }),
      job('j1', { dispatched_at: 10, accepted_at: null, ended_at: 50, state: 'failed' }),
      job('j3', {
        dispatched_at: null,
        accepted_at: null,
        ended_at: 60,
        state: 'delivery_timed_out',
      }),
      job('j4', { kind: 'uninstall', accepted_at: 1, ended_at: 2 }),
      job('j5', { accepted_at: 5, ended_at: null, state: 'running' }),
    ]);
    expect([...series]).toEqual([
      [
        'w',
        [
          { job: 'j1', at: 50, ms: 40, state: 'failed' },
          { job: 'j2', at: 400, ms: 300, state: 'succeeded' },
        ],
      ],
    ]);
  });
});
