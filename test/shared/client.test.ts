import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createClient } from '../../shared/client/index.ts';
import { denoBin, repoRoot } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

let edge: Awaited<ReturnType<typeof inProcessEdge>>;
let job = '';
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    s: from + i,
    t: 1,
    k: 'o',
    x: `line ${from + i}`,
  }));

/** A finished job with 50 lines, run by a protocol-level agent. */
beforeAll(async () => {
  edge = await inProcessEdge();
  const hive = await edge.enrol('client-hive');
  const agent = new RawAgent(edge.url, hive.token);
  await agent.hello();
  job = (await edge.api('POST', '/api/installs', { hive: hive.id, worker: 'rbee-hello-worker' }))
    .body.job.id;
  await agent.next('job');
  agent.send({ type: 'logs', job, entries: lines(0, 50) });
  await agent.next('ack');
  agent.send({ type: 'job_done', job, outcome: 'failed', total: 50, error: { message: 'boom' } });
  await agent.next('done_ack');
  agent.close();
}, 60_000);
afterAll(() => edge.close());

const expected = Array.from({ length: 50 }, (_, i) => `line ${i}`);

describe('the typed client (shared/client)', () => {
  it('on Node: calls, ApiError with status and code, followLogs from a seq to the end', async () => {
    const client = createClient({ edge: edge.url, token: ADMIN });
    expect(await client.whoami()).toEqual({ name: 'admin', role: 'admin' });
    const error = await client.getJob('job_doesnotexist00').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 404,
      code: 'UNKNOWN_JOB',
      message: 'no job with id "job_doesnotexist00"',
    });
    const seen: string[] = [];
    let end = '';
    for await (const e of client.followLogs(job, { from: 40 })) {
      if (e.type === 'lines') seen.push(...e.lines.map((l) => l.x));
      if (e.type === 'end') end = e.state.state;
    }
    expect(seen).toEqual(expected.slice(40));
    expect(end).toBe('failed');
    const unauth = await createClient({ edge: edge.url })
      .listHives()
      .catch((e: ApiError) => e);
    expect(unauth).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('installWorker submits and streams to the end, reporting progress', async () => {
    const client = createClient({ edge: edge.url, token: ADMIN });
    const seen: string[] = [];
    const refused = await client
      .installWorker('no-such-hive', 'rbee-hello-worker', { onProgress: (e) => seen.push(e.type) })
      .catch((e: ApiError) => e);
    expect(refused).toMatchObject({ status: 404, code: 'UNKNOWN_HIVE' });
    expect(seen).toEqual([]);
  });

  it('under Deno: the same client, the same answers', async () => {
    // Asynchronous on purpose: the edge answering the Deno process runs in this process.
    const r = await promisify(execFile)(
      denoBin,
      ['run', '--quiet', '--allow-net', 'test/deno/client.deno.ts', edge.url, ADMIN, job],
      { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      me: { name: 'admin', role: 'admin' },
      hives: ['client-hive'],
      missing: { status: 404, code: 'UNKNOWN_JOB' },
      lines: expected,
      end: 'failed',
    });
  }, 120_000);
});
