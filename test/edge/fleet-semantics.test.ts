import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INFRASTRUCTURE_FAILURES } from '../../edge/jobs/retry-policy.ts';
import { repoRoot } from '../support/edge-process.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

type Edge = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: Edge;
let version = '';
const WORKER = 'rbee-hello-worker';

beforeAll(async () => {
  edge = await inProcessEdge();
  version = (await edge.api('GET', `/api/workers/${WORKER}/installs`)).body.catalog_version;
}, 60_000);
afterAll(() => edge?.close());

/** A hive whose agent is the test, reporting `installed` in its hello. */
async function hive(name: string, installed: { id: string; version: string }[], labels = {}) {
  const h = await edge.enrol(name, labels);
  const agent = new RawAgent(edge.url, h.token);
  await agent.opened;
  agent.send({
    type: 'hello',
    agent_version: 'test',
    protocol: 1,
    platform: { os: 'linux', arch: 'x86_64', accelerators: [], hostname: name },
    installed,
    jobs: [],
  });
  await agent.next('welcome');
  return { ...h, agent };
}

type Job = { id: string; state: string; error: { message: string } | null } & Record<
  string,
  unknown
>;
const job = async (id: string) => (await edge.api('GET', `/api/jobs/${id}`)).body.job as Job;
const end = (agent: RawAgent, id: string, outcome: string, error?: object) =>
  agent.send({ type: 'job_done', job: id, outcome, total: 0, ...(error ? { error } : {}) });

describe('already_installed unless force', () => {
  it('a hive with this version and pkgrel succeeds at once, nothing is sent; force sends it', async () => {
    expect(version).toMatch(/^\d[\w.]*-\d+$/);
    const h = await hive('has-it', [{ id: WORKER, version }]);
    const first = await edge.api('POST', '/api/installs', { hive: 'has-it', worker: WORKER });
    expect(first.status).toBe(201);
    expect(first.body.job).toMatchObject({ state: 'succeeded', already_installed: true });
    expect(first.body.job.dispatched_at).toBeNull();
    const forced = await edge.api('POST', '/api/installs', {
      hive: 'has-it',
      worker: WORKER,
      force: true,
    });
    expect(forced.body.job).toMatchObject({ state: 'dispatched' });
    expect(forced.body.job.already_installed).toBeUndefined();
    const sent = await h.agent.next<{ type: string; job: { id: string } }>('job');
    expect(sent.job.id).toBe(forced.body.job.id); // the first one never reached the agent
    h.agent.close();
  });

  it('another version or pkgrel installs; in a rollout the hives that have it count as succeeded', async () => {
    const [major, rel] = version.split('-');
    const old = await hive('older-rel', [{ id: WORKER, version: `${major}-${Number(rel) + 1}` }], {
      set: 'r',
    });
    const same = await hive('same-ver', [{ id: WORKER, version }], { set: 'r' });
    const r = await edge.api('POST', '/api/installs', {
      selector: { labels: { set: 'r' } },
      worker: WORKER,
    });
    expect(r.body.rollout.counts).toMatchObject({ total: 2, succeeded: 1, in_progress: 1 });
    const settled = r.body.jobs.find((j: Job) => j.hive === same.id);
    expect(settled).toMatchObject({ state: 'succeeded', already_installed: true });
    const sent = await old.agent.next<{ type: string; job: { id: string } }>('job');
    end(old.agent, sent.job.id, 'succeeded');
    await vi.waitFor(async () => {
      const ro = (await edge.api('GET', `/api/rollouts/${r.body.rollout.id}`)).body.rollout;
      expect(ro).toMatchObject({ state: 'succeeded', counts: { succeeded: 2, in_progress: 0 } });
    }, 10_000);
    // Every hive has it now: the rollout succeeds as it is made.
    const all = await edge.api('POST', '/api/installs', {
      hives: ['same-ver'],
      worker: WORKER,
    });
    expect(all.body.rollout).toMatchObject({
      state: 'succeeded',
      counts: { total: 1, succeeded: 1 },
    });
    expect(all.body.rollout.ended_at).not.toBeNull();
    old.agent.close();
    same.agent.close();
  });

  it('GET /api/workers/:id/installs lists the hives that have it, by version', async () => {
    const res = await edge.api('GET', `/api/workers/${WORKER}/installs`);
    expect(res.status).toBe(200);
    expect(res.body.worker).toBe(WORKER);
    expect(res.body.catalog_version).toBe(version);
    const byVersion = Object.fromEntries(
      res.body.versions.map((v: { version: string; hives: { name: string }[] }) => [
        v.version,
        v.hives.map((h) => h.name),
      ]),
    );
    const [major, rel] = version.split('-');
    expect(byVersion[version]).toEqual(['has-it', 'same-ver']);
    expect(byVersion[`${major}-${Number(rel) + 1}`]).toEqual(['older-rel']);
    expect(res.body.hives).toBe(3);
    const unknown = await edge.api('GET', '/api/workers/no-such-worker/installs');
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_WORKER' });
  });
});

describe('retries: N only for infrastructure failures', () => {
  it('the agent names a restart with the message the retry policy knows', () => {
    const source = readFileSync(join(repoRoot, 'agent', 'jobs', 'job-manager.ts'), 'utf8');
    expect(source).toContain(`'${INFRASTRUCTURE_FAILURES[0]}'`);
  });

  it('an agent restart mid-build gets one new attempt per retry; each points to the other', async () => {
    const h = await hive('flaky', []);
    const made = await edge.api('POST', '/api/installs', {
      hive: 'flaky',
      worker: WORKER,
      retries: 1,
    });
    const first = made.body.job.id as string;
    expect(made.body.job.retries_left).toBe(1);
    await h.agent.next('job');
    end(h.agent, first, 'failed', { message: INFRASTRUCTURE_FAILURES[0] });
    const retry = await h.agent.next<{ type: string; job: { id: string } }>('job');
    expect(retry.job.id).not.toBe(first);
    expect(await job(first)).toMatchObject({ state: 'failed', retried_by: retry.job.id });
    expect(await job(retry.job.id)).toMatchObject({ retry_of: first, retries_left: 0 });
    end(h.agent, retry.job.id, 'failed', { message: INFRASTRUCTURE_FAILURES[0] });
    await vi.waitFor(async () => expect((await job(retry.job.id)).state).toBe('failed'), 10_000);
    expect((await job(retry.job.id)).retried_by).toBeUndefined(); // no retries left
    h.agent.close();
  });

  it('a build failure is never retried, whatever retries says', async () => {
    const h = await hive('broken-build', []);
    const made = await edge.api('POST', '/api/installs', {
      hive: 'broken-build',
      worker: WORKER,
      retries: 3,
    });
    const id = made.body.job.id as string;
    await h.agent.next('job');
    end(h.agent, id, 'failed', {
      message: 'build() failed with exit code 2',
      step: 'build',
      exit_code: 2,
    });
    await vi.waitFor(async () => expect((await job(id)).state).toBe('failed'), 10_000);
    expect((await job(id)).retried_by).toBeUndefined();
    // Nothing else was sent: the next job the agent gets is one made after this.
    const next = await edge.api('POST', '/api/installs', {
      hive: 'broken-build',
      worker: WORKER,
      force: true,
    });
    const got = await h.agent.next<{ type: string; job: { id: string } }>('job');
    expect(got.job.id).toBe(next.body.job.id);
    h.agent.close();
  });

  it('in a rollout, a retried job keeps its slot: the rollout counts the new attempt, once', async () => {
    const h = await hive('ro-flaky', [], { set: 'retry' });
    const r = await edge.api('POST', '/api/installs', {
      selector: { labels: { set: 'retry' } },
      worker: WORKER,
      retries: 1,
    });
    const first = (await h.agent.next<{ type: string; job: { id: string } }>('job')).job.id;
    end(h.agent, first, 'failed', { message: INFRASTRUCTURE_FAILURES[1] });
    const second = (await h.agent.next<{ type: string; job: { id: string } }>('job')).job.id;
    const mid = (await edge.api('GET', `/api/rollouts/${r.body.rollout.id}`)).body.rollout;
    expect(mid).toMatchObject({ state: 'running', counts: { in_progress: 1, failed: 0 } });
    end(h.agent, second, 'succeeded');
    await vi.waitFor(async () => {
      const ro = (await edge.api('GET', `/api/rollouts/${r.body.rollout.id}`)).body.rollout;
      expect(ro).toMatchObject({
        state: 'succeeded',
        counts: { total: 1, succeeded: 1, failed: 0 },
      });
    }, 10_000);
    h.agent.close();
  });
});
