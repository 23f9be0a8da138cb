import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

/**
 * Two clients with one hive token, as an attacker who copied it would run them against the
 * real edge: the live agent keeps its hive, the copy is refused and noticed, an ended job's
 * outcome and log cannot be forged, and rotating the token cuts the copy.
 */
let edge: Awaited<ReturnType<typeof inProcessEdge>>;
const clients: RawAgent[] = [];
const client = (token: string | null) => {
  const a = new RawAgent(edge.url, token);
  clients.push(a);
  return a;
};
afterEach(async () => {
  for (const a of clients.splice(0)) a.ws.terminate();
  await edge?.close();
});

const HELLO = {
  type: 'hello',
  agent_version: 'attacker',
  protocol: 1,
  platform: { os: 'linux', arch: 'x86_64', accelerators: [] },
  installed: [],
  jobs: [],
};
const line = (s: number, x: string) => ({ s, t: Date.now(), k: 'o', x });

/** Runs a job to succeeded through the real agent's socket; returns its id. */
async function finishJob(real: RawAgent, hive: string) {
  const created = await edge.api('POST', '/api/installs', { hive, worker: 'rbee-hello-worker' });
  const id = created.body.job.id as string;
  await real.next('job');
  real.send({ type: 'accept', job: id, duplicate: false });
  real.send({ type: 'logs', job: id, entries: [line(0, 'real 0'), line(1, 'real 1')] });
  real.send({ type: 'job_done', job: id, outcome: 'succeeded', total: 2 });
  await real.next('done_ack');
  expect((await edge.api('GET', `/api/jobs/${id}`)).body.job.state).toBe('succeeded');
  return id;
}

describe('a stolen hive token', () => {
  it('a copy is refused while the real agent is live, and repeated tries mark the hive contested with its jobs held', async () => {
    edge = await inProcessEdge({ maxContestsPerMinute: 3 });
    const hive = await edge.enrol('victim');
    const real = client(hive.token);
    await real.hello();
    for (let i = 0; i < 4; i++) {
      const copy = client(hive.token);
      await copy.opened;
      copy.send(HELLO);
      const closed = await copy.closed;
      expect(closed).toMatchObject({ code: 4009, reason: 'CONTESTED' });
      expect(copy.received.map((m) => m.type)).toEqual(['error']);
    }
    expect(real.ws.readyState).toBe(real.ws.OPEN);
    await expect
      .poll(async () => (await edge.api('GET', `/api/hives/${hive.id}`)).body)
      .toMatchObject({ online: true, contested: true });
    // A new job for a contested hive is held: stored, not sent to anyone.
    const held = await edge.api('POST', '/api/installs', {
      hive: hive.id,
      worker: 'rbee-hello-worker',
    });
    expect(held.body.job.state).toBe('queued');
    expect(real.received.some((m) => m.type === 'job')).toBe(false);

    // Rotation: a new token, the contest cleared, the old token refused at the upgrade.
    const rotated = await edge.api('POST', `/api/hives/${hive.id}/rotate-token`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).toMatch(/^rbh_/);
    expect(await real.closed).toMatchObject({ code: 4003, reason: 'REVOKED' });
    expect(await client(hive.token).refusedWith()).toBe(401);
    const fresh = client(rotated.body.token);
    await fresh.hello();
    expect(await fresh.next('job')).toMatchObject({ job: { id: held.body.job.id, hive: hive.id } });
    expect((await edge.api('GET', `/api/hives/${hive.id}`)).body).toMatchObject({
      online: true,
      contested: false,
    });
  });

  it('once a job has ended, neither its outcome nor its log can be changed (JOB_ENDED)', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('victim');
    const real = client(hive.token);
    await real.hello();
    const id = await finishJob(real, hive.id);
    real.ws.close();
    await real.closed;

    // The attacker connects while the real agent is away and tries to rewrite history.
    const forger = client(hive.token);
    await forger.hello([{ id, next_seq: 2 }]);
    // A resend of what is stored is harmless (a lost ack): acknowledged, nothing added.
    forger.send({ type: 'logs', job: id, entries: [line(1, 'real 1')] });
    expect(await forger.next('ack')).toMatchObject({ job: id, next_seq: 2 });
    forger.send({ type: 'logs', job: id, entries: [line(2, 'forged: all good')] });
    expect(await forger.closed).toMatchObject({ code: 4010, reason: 'JOB_ENDED' });
    expect(forger.received.find((m) => m.type === 'error')).toMatchObject({
      code: 'JOB_ENDED',
      message: `job ${id} has ended: its log is closed at 2 entries, nothing can be added`,
    });

    const again = client(hive.token);
    await again.hello([{ id, next_seq: 2 }]);
    again.send({ type: 'job_done', job: id, outcome: 'failed', total: 2 });
    expect(await again.closed).toMatchObject({ code: 4010, reason: 'JOB_ENDED' });

    const job = (await edge.api('GET', `/api/jobs/${id}`)).body.job;
    expect(job).toMatchObject({ state: 'succeeded', log_entries: 2 });
    const text = await fetch(`${edge.url}/api/jobs/${id}/logs.txt`, {
      headers: { Authorization: `Bearer ${ADMIN}` },
    }).then((r) => r.text());
    expect(text).not.toContain('forged');

    // The same outcome again (a resend after a lost done_ack) is acknowledged, not refused.
    const honest = client(hive.token);
    await honest.hello([{ id, next_seq: 2 }]);
    honest.send({ type: 'job_done', job: id, outcome: 'succeeded', total: 2 });
    expect(await honest.next('done_ack')).toMatchObject({ job: id });
  });

  it('a hive deleted between the upgrade and hello is not welcomed (REVOKED)', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('doomed');
    const pending = client(hive.token);
    await pending.opened;
    expect((await edge.api('DELETE', `/api/hives/${hive.id}`)).status).toBe(200);
    // Cut while pending, before any hello.
    expect(await pending.closed).toMatchObject({ code: 4003, reason: 'REVOKED' });
    expect(pending.received.some((m) => m.type === 'welcome')).toBe(false);
  });

  it('a hive rotated between the upgrade and hello is not welcomed on the old token (REVOKED)', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('rotating');
    const pending = client(hive.token);
    await pending.opened;
    await edge.api('POST', `/api/hives/${hive.id}/rotate-token`);
    expect(await pending.closed).toMatchObject({ code: 4003, reason: 'REVOKED' });
    expect(pending.received.some((m) => m.type === 'welcome')).toBe(false);
  });
});
