import { afterEach, describe, expect, it } from 'vitest';
import { inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

let edge: Awaited<ReturnType<typeof inProcessEdge>> | undefined;
const agents: RawAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.ws.terminate();
  await edge?.close().catch(() => {});
  edge = undefined;
});

describe('agent session: close codes from the protocol table', () => {
  it('a store that fails under the log writer ends the socket with error INTERNAL and 1011', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const a = new RawAgent(edge.url, hive.token);
    agents.push(a);
    await a.hello();
    const job = (
      await edge.api('POST', '/api/installs', { hive: 'h1', worker: 'rbee-hello-worker' })
    ).body.job as { id: string };
    await a.next('job');
    a.send({ type: 'logs', job: job.id, entries: [{ s: 0, t: 1, k: 'o', x: 'kept' }] });
    expect(await a.next('ack')).toMatchObject({ next_seq: 1 });
    await edge.edge.store.close(); // the KV file is gone from under the edge: every write fails
    a.send({ type: 'logs', job: job.id, entries: [{ s: 1, t: 1, k: 'o', x: 'lost' }] });
    expect((await a.closed).code).toBe(1011);
    expect(a.received.filter((m) => m.type === 'error')).toEqual([
      {
        v: 1,
        type: 'error',
        code: 'INTERNAL',
        message: expect.stringContaining(`could not store the log of ${job.id}`),
      },
    ]);
    expect(a.received.filter((m) => m.type === 'ack')).toHaveLength(1);
  });

  it('an edge shutting down closes agent sockets with GOING_AWAY (1001)', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('h1');
    const a = new RawAgent(edge.url, hive.token);
    agents.push(a);
    await a.hello();
    await edge.close();
    edge = undefined;
    expect(await a.closed).toEqual({ code: 1001, reason: 'GOING_AWAY' });
  });
});
