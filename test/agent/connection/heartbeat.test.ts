import { describe, expect, test } from 'vitest';
import { startHeartbeat } from '../../../agent/connection/heartbeat.ts';

describe('startHeartbeat', () => {
  test('pings every interval', async () => {
    let pings = 0;
    let reached: () => void = () => {};
    const three = new Promise<void>((resolve) => (reached = resolve));
    const heartbeat = startHeartbeat({
      intervalMs: 10,
      ping: () => {
        if (++pings === 3) reached();
      },
      onTimeout: () => {},
      now: () => 0, // the clock stands still: never silent for long
    });
    await three;
    heartbeat.stop();
    expect(pings).toBe(3);
  });

  test('silence for two intervals calls onTimeout once and stops pinging', async () => {
    let clock = 0;
    let timeouts = 0;
    let pingsAfterTimeout = 0;
    let timedOut: () => void = () => {};
    const done = new Promise<void>((resolve) => (timedOut = resolve));
    startHeartbeat({
      intervalMs: 10,
      ping: () => {
        if (timeouts > 0) pingsAfterTimeout++;
      },
      onTimeout: () => {
        timeouts++;
        timedOut();
      },
      now: () => clock,
    });
    clock = 20; // two intervals of silence, as the watchdog will see it
    await done;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(timeouts).toBe(1);
    expect(pingsAfterTimeout).toBe(0);
  });

  test('every touch counts as liveness: just under two intervals since the last one is fine', async () => {
    let clock = 0;
    let timedOut = false;
    const heartbeat = startHeartbeat({
      intervalMs: 10,
      ping: () => {},
      onTimeout: () => {
        timedOut = true;
      },
      now: () => clock,
    });
    // Advance the clock in steps, touching each time: never 20 units without a message.
    for (let step = 0; step < 10; step++) {
      clock += 15;
      heartbeat.touch();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(timedOut).toBe(false);
    clock += 19;
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(timedOut).toBe(false);
    clock += 1; // now exactly two intervals since the last touch
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(timedOut).toBe(true);
    heartbeat.stop();
  });
});
