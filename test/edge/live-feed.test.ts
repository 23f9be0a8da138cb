import { describe, expect, it } from 'vitest';
import type { FeedChange, FeedTopic } from '../../edge/dashboard/live-feed.ts';
import { LiveFeed } from '../../edge/dashboard/live-feed.ts';
import { FLEET_WAKE, LogBus } from '../../edge/logs/log-bus.ts';

/** A reading the test changes by hand, counting how often the feed read it. */
function source() {
  const state: Record<FeedTopic, string> = { hives: 'h0', jobs: 'j0', rollouts: 'r0' };
  return { state, read: async () => ({ ...state }) };
}

/** Resolves with the next change a listener hears. */
function nextChange(feed: LiveFeed): Promise<{ change: FeedChange; off: () => void }> {
  return new Promise((resolve) => {
    let off = () => {};
    void feed
      .listen((change) => resolve({ change, off }))
      .then((o) => {
        off = o;
      });
  });
}

describe('the dashboard live feed', () => {
  it('a wake-up on the bus leads to one read, and only the topics that changed are told', async () => {
    const bus = new LogBus();
    const src = source();
    const feed = new LiveFeed(bus, src.read, { pollMs: 600_000, throttleMs: 10 });
    const heard = nextChange(feed);
    await new Promise((r) => setTimeout(r, 0)); // the first reading is taken
    src.state.jobs = 'j1';
    bus.publish('job_1');
    const { change, off } = await heard;
    expect(change).toEqual({ topics: ['jobs'], via: 'bus' });
    off();
  });

  it('a flood of wake-ups (a build logging) shares few reads', async () => {
    const bus = new LogBus();
    const src = source();
    const feed = new LiveFeed(bus, src.read, { pollMs: 600_000, throttleMs: 50 });
    const off = await feed.listen(() => {});
    const before = feed.reads;
    for (let i = 0; i < 1000; i++) bus.publish(`job_${i % 3}`);
    await new Promise((r) => setTimeout(r, 200));
    expect(feed.reads - before).toBe(1);
    off();
  });

  it('with a silent bus, the slow poll still finds a change (a lost wake-up only delays)', async () => {
    const bus = new LogBus();
    const src = source();
    const feed = new LiveFeed(bus, src.read, { pollMs: 100, throttleMs: 10 });
    const heard = nextChange(feed);
    await new Promise((r) => setTimeout(r, 0));
    src.state.hives = 'h1'; // changed in the store, no wake-up published
    const { change, off } = await heard;
    expect(change).toEqual({ topics: ['hives'], via: 'poll' });
    off();
  });

  it('a fleet wake-up counts as the bus; nothing is read once the last listener left', async () => {
    const bus = new LogBus();
    const src = source();
    const feed = new LiveFeed(bus, src.read, { pollMs: 600_000, throttleMs: 10 });
    const heard = nextChange(feed);
    await new Promise((r) => setTimeout(r, 0));
    src.state.hives = 'h2';
    src.state.rollouts = 'r2';
    bus.publish(FLEET_WAKE);
    const { change, off } = await heard;
    expect(change).toEqual({ topics: ['hives', 'rollouts'], via: 'bus' });
    off();
    const reads = feed.reads;
    bus.publish(FLEET_WAKE);
    await new Promise((r) => setTimeout(r, 50));
    expect(feed.reads).toBe(reads);
  });
});
