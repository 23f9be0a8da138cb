/**
 * One list of frame-size cases, run against the edge on Node (test/edge/node-adapter.test.ts)
 * and under Deno (test/edge/deno-hub.test.ts): both runtimes must refuse an over-size frame
 * the same way, since no type check sees the runtime seam.
 */
import { expect } from 'vitest';
import { RawAgent } from '../support/raw-agent.ts';

/** An edge under test: where it listens, its maxFrameBytes, and the admin calls the cases need. */
export type FrameLimitTarget = {
  url: string;
  maxFrameBytes: number;
  /** Enrols a hive and returns its token. */
  enrol(name: string): Promise<string>;
  /** GET /api/metrics. */
  metrics(): Promise<{ refused: Record<string, number> }>;
  /** Every agent opened, so the suite can end them. */
  agents: RawAgent[];
};

/** A `pong` of exactly `bytes` bytes (JSON allows the trailing spaces). */
export const frameOf = (bytes: number) => '{"v":1,"type":"pong","ts":1}'.padEnd(bytes, ' ');

export const frameLimitCases = [
  { name: 'one byte under maxFrameBytes is accepted', delta: -1, refused: false },
  { name: 'exactly maxFrameBytes is accepted', delta: 0, refused: false },
  {
    name: 'one byte over maxFrameBytes gets error FRAME_TOO_LARGE, close 1009, and is counted',
    delta: 1,
    refused: true,
  },
] as const;

/** Sends one frame of maxFrameBytes + delta after hello and checks the edge's answer. */
export async function checkFrameLimit(
  target: FrameLimitTarget,
  { delta, refused }: (typeof frameLimitCases)[number],
) {
  const token = await target.enrol(`frame-${delta < 0 ? 'm' : 'p'}${Math.abs(delta)}`);
  const agent = new RawAgent(target.url, token);
  target.agents.push(agent);
  await agent.hello();
  const counted = (await target.metrics()).refused.FRAME_TOO_LARGE ?? 0;
  agent.sendRaw(frameOf(target.maxFrameBytes + delta));
  if (!refused) {
    agent.send({ type: 'ping', ts: 7 });
    expect(await agent.next('pong')).toMatchObject({ ts: 7 });
    expect(agent.received.filter((m) => m.type === 'error')).toEqual([]);
    expect((await target.metrics()).refused.FRAME_TOO_LARGE ?? 0).toBe(counted);
    return;
  }
  expect((await agent.closed).code).toBe(1009);
  expect(agent.received.filter((m) => m.type === 'error')).toEqual([
    {
      v: 1,
      type: 'error',
      code: 'FRAME_TOO_LARGE',
      message: `frame is larger than ${target.maxFrameBytes} bytes`,
    },
  ]);
  expect((await target.metrics()).refused.FRAME_TOO_LARGE).toBe(counted + 1);
}
