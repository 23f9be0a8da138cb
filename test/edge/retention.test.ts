import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeConfigError, parseEdgeArgs } from '../../edge/config.ts';
import { newJobId } from '../../edge/jobs/job-id.ts';
import { Retention } from '../../edge/jobs/retention.ts';
import type { JobRecord } from '../../edge/store/records.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const options = {
  jobRetentionMs: DAY,
  logRetentionMs: HOUR,
  retentionIntervalMs: HOUR, // the timer stays out of the way: the test starts each pass
  retentionBatch: 100,
};
let edge: Awaited<ReturnType<typeof inProcessEdge>>;

const ended = (hive: string, at: number): JobRecord => ({
  id: newJobId(at),
  hive,
  kind: 'install',
  worker: 'rbee-hello-worker',
  state: 'succeeded',
  step: null,
  created_at: at,
  updated_at: at + 1000,
  deliver_by: at + DAY,
  dispatched_at: at,
  accepted_at: at,
  ended_at: at + 1000,
  cancel_requested: false,
  error: null,
  pending_done: null,
  timeout_ms: null,
  rollout: null,
});
const log = (n: number) => ({
  first: 0,
  count: n,
  text: `[${Array.from({ length: n }, (_, s) => `{"s":${s},"t":1,"k":"o","x":"line ${s}"}`).join(',')}]`,
});

let old: JobRecord[] = [];
let middle: JobRecord[] = [];
let recent: JobRecord[] = [];
let openOld: JobRecord;

beforeAll(async () => {
  edge = await inProcessEdge(options);
  const store = edge.edge.store;
  const hive = (await edge.enrol('history')).id;
  const now = Date.now();
  // 2000 jobs ended three days ago, 400 two hours ago, 100 just now; one old job still open.
  old = Array.from({ length: 2000 }, (_, i) => ended(hive, now - 3 * DAY + i));
  middle = Array.from({ length: 400 }, (_, i) => ended(hive, now - 2 * HOUR + i));
  recent = Array.from({ length: 100 }, (_, i) => ended(hive, now - 1000 + i));
  openOld = { ...ended(hive, now - 3 * DAY - 10), state: 'running', ended_at: null };
  await store.createJobs([openOld, ...old, ...middle, ...recent]);
  for (const job of [...old.slice(0, 200), ...middle.slice(0, 200), ...recent.slice(0, 20)]) {
    await store.appendLog(job.id, log(5));
  }
  // A webhook's deliveries: 7 finished three days ago, one still pending from then, 3 recent.
  await store.createWebhook({
    id: 'wh_old',
    url: 'http://127.0.0.1:9/',
    events: ['job.ended'],
    secret: 'a-secret-of-sixteen-plus',
    description: null,
    created_at: now - 4 * DAY,
    created_by: 'admin',
  });
  const delivery = (at: number, state: 'delivered' | 'failed' | 'pending') => ({
    id: `dlv_${newJobId(at).slice(4)}`,
    webhook: 'wh_old',
    event: 'job.ended' as const,
    state,
    created_at: at,
    attempts: [],
    next_at: state === 'pending' ? now + DAY : null,
    delivered_at: state === 'delivered' ? at : null,
    body: '{}',
    due_at: state === 'pending' ? now + DAY : null,
    lease_owner: null,
  });
  await store.addDeliveries([
    ...Array.from({ length: 5 }, (_, i) => delivery(now - 3 * DAY + i, 'delivered')),
    ...Array.from({ length: 2 }, (_, i) => delivery(now - 3 * DAY + 10 + i, 'failed')),
    delivery(now - 3 * DAY + 20, 'pending'),
    ...Array.from({ length: 3 }, (_, i) => delivery(now - 1000 + i, 'delivered')),
  ]);
}, 120_000);
afterAll(() => edge?.close());

describe('job, log and webhook delivery retention', () => {
  it('--job-retention and --log-retention take durations and refuse anything else', () => {
    const config = parseEdgeArgs(['--job-retention', '30d', '--log-retention', '12h']);
    expect(config.options).toMatchObject({ jobRetentionMs: 30 * DAY, logRetentionMs: 12 * HOUR });
    expect(() => parseEdgeArgs(['--job-retention', '30 days'])).toThrow(EdgeConfigError);
    expect(() => parseEdgeArgs(['--job-retention', '0d'])).toThrow(
      '--job-retention must be a duration such as 30d, 12h or 90m, got "0d"',
    );
  });

  it('prunes a large history in batches while the API keeps answering; one instance at a time', async () => {
    const retention = edge.edge.edge.retention;
    let finished = false;
    const pass = retention.run().finally(() => {
      finished = true;
    });
    // Once this pass holds the lease (its first batch is gone), another instance on the same
    // store finds the lease taken and does nothing. (Started in the same tick, either of the two
    // may win the lease: that is a race of two instances, both answers right.)
    await expect
      .poll(async () => finished || (await edge.api('GET', `/api/jobs/${old[0]!.id}`)).status)
      .not.toBe(200);
    const other = new Retention(edge.edge.store, options, Date.now);
    expect(await other.run()).toEqual({ jobs: 0, logs: 0, deliveries: 0 });
    let answeredDuring = 0;
    while (!finished) {
      const [health, jobs] = await Promise.all([
        edge.api('GET', '/health', undefined, null),
        edge.api('GET', '/api/jobs?limit=5'),
      ]);
      expect(health.status).toBe(200);
      expect(jobs.status).toBe(200);
      if (!finished) answeredDuring++;
    }
    const done = await pass;
    expect(done).toEqual({ jobs: 2000, logs: 200, deliveries: 7 });
    const left = await edge.edge.store.listDeliveries('wh_old', 100);
    expect(left.map((d) => d.state)).toEqual(['delivered', 'delivered', 'delivered', 'pending']);
    expect(answeredDuring).toBeGreaterThan(0);

    // Old jobs are gone with their logs; the open one stays; middle ones keep the job, not the log.
    expect((await edge.api('GET', `/api/jobs/${old[0]!.id}`)).status).toBe(404);
    expect((await edge.api('GET', `/api/jobs/${old[1999]!.id}`)).status).toBe(404);
    expect(await edge.edge.store.logHead(old[0]!.id)).toEqual({ next: 0, bytes: 0 });
    expect((await edge.api('GET', `/api/jobs/${openOld.id}`)).body.job.state).toBe('running');
    const kept = (await edge.api('GET', `/api/jobs/${middle[0]!.id}`)).body.job;
    expect(kept).toMatchObject({ state: 'succeeded', log_entries: 0 });
    const fresh = (await edge.api('GET', `/api/jobs/${recent[0]!.id}`)).body.job;
    expect(fresh).toMatchObject({ log_entries: 5 });
    expect((await edge.api('GET', `/api/jobs/${recent[0]!.id}/logs.txt`)).body).toBe(
      'line 0\nline 1\nline 2\nline 3\nline 4\n',
    );
    const all = (await edge.api('GET', '/api/jobs?limit=1000')).body.jobs as { id: string }[];
    expect(all).toHaveLength(501);

    // A second pass finds nothing more to do.
    expect(await retention.run()).toEqual({ jobs: 0, logs: 0, deliveries: 0 });
    await other.close();
  }, 120_000);
});
