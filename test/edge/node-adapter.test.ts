import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wsPayloadCap } from '../../edge/node/agent-upgrade.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import {
  checkFrameLimit,
  type FrameLimitTarget,
  frameLimitCases,
  frameOf,
} from './frame-limit-cases.ts';

const MAX_FRAME = 4096;

/** The Node adapter's seams: one upgrade path, and the frame limit refused as on Deno. */
describe('edge on Node: the agent upgrade and the frame limit', () => {
  let edge: Awaited<ReturnType<typeof inProcessEdge>>;
  let target: FrameLimitTarget;
  beforeAll(async () => {
    edge = await inProcessEdge({ maxFrameBytes: MAX_FRAME });
    target = {
      url: edge.url,
      maxFrameBytes: MAX_FRAME,
      enrol: async (name) => (await edge.enrol(name)).token,
      metrics: async () => (await edge.api('GET', '/api/metrics')).body,
      agents: [],
    };
  });
  afterAll(async () => {
    for (const a of target?.agents ?? []) a.ws.terminate();
    await edge?.close();
  });

  it('takes each agent upgrade through one path: one token look-up per connection', async () => {
    const token = await target.enrol('one-path');
    const store = edge.edge.store;
    const lookUp = store.getHiveByTokenHash.bind(store);
    let lookups = 0;
    store.getHiveByTokenHash = (hash) => {
      lookups++;
      return lookUp(hash);
    };
    try {
      const a = new RawAgent(edge.url, token);
      target.agents.push(a);
      await a.hello();
      expect(lookups).toBe(1);
      const wrong = new RawAgent(edge.url, 'rbh_wrong');
      target.agents.push(wrong);
      expect(await wrong.refusedWith()).toBe(401);
      expect(lookups).toBe(2);
      expect((await edge.api('GET', '/api/metrics')).body.connections_opened).toBe(1);
    } finally {
      store.getHiveByTokenHash = lookUp;
    }
  });

  for (const c of frameLimitCases) it(c.name, () => checkFrameLimit(target, c));

  it('a frame past the hard ws cap is cut by ws with 1009 before it is buffered, and still counted', async () => {
    const token = await target.enrol('giant');
    const a = new RawAgent(edge.url, token);
    target.agents.push(a);
    await a.hello();
    const counted = (await target.metrics()).refused.FRAME_TOO_LARGE ?? 0;
    a.sendRaw(frameOf(wsPayloadCap(MAX_FRAME) + 1));
    expect((await a.closed).code).toBe(1009);
    await expect
      .poll(async () => (await target.metrics()).refused.FRAME_TOO_LARGE)
      .toBe(counted + 1);
  });
});
