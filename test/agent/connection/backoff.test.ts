import { describe, expect, test } from 'vitest';
import { backoffDefaults, createBackoff } from '../../../agent/connection/backoff.ts';

/** A random source that returns the given values in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('createBackoff', () => {
  test('defaults: base 500 ms, cap 30 s', () => {
    expect(backoffDefaults).toEqual({ baseMs: 500, capMs: 30_000 });
  });

  test('the ceiling doubles per attempt from the base (random just below 1 shows it)', () => {
    const backoff = createBackoff({ baseMs: 100, capMs: 100_000, random: () => 0.999999 });
    const delays = Array.from({ length: 6 }, () => backoff.next());
    expect(delays).toEqual([99, 199, 399, 799, 1599, 3199]);
    expect(backoff.attempt).toBe(6);
  });

  test('full jitter: random 0 gives 0 however many attempts came before', () => {
    const backoff = createBackoff({ baseMs: 100, capMs: 1000, random: () => 0 });
    for (let i = 0; i < 20; i++) expect(backoff.next()).toBe(0);
  });

  test('never above the cap, even after hundreds of attempts (2^n overflowing)', () => {
    const backoff = createBackoff({ baseMs: 500, capMs: 30_000, random: () => 0.999999 });
    const delays = Array.from({ length: 1200 }, () => backoff.next());
    expect(Math.max(...delays)).toBe(29_999);
    expect(delays.slice(7).every((d) => d === 29_999)).toBe(true);
  });

  test('with Math.random every delay lies in [0, min(cap, base·2^attempt))', () => {
    const backoff = createBackoff({ baseMs: 500, capMs: 30_000 });
    for (let attempt = 0; attempt < 200; attempt++) {
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(30_000, 500 * 2 ** attempt));
      expect(Number.isInteger(delay)).toBe(true);
    }
  });

  test('jitter spreads delays over the whole range, not around the ceiling', () => {
    const backoff = createBackoff({ baseMs: 1000, capMs: 1000 });
    const delays = Array.from({ length: 4000 }, () => backoff.next());
    const low = delays.filter((d) => d < 250).length;
    const high = delays.filter((d) => d >= 750).length;
    // Uniform on [0, 1000): each quarter holds ~1000 of 4000; 600 is >8 standard deviations off.
    expect(low).toBeGreaterThan(600);
    expect(high).toBeGreaterThan(600);
  });

  test('reset starts again from the base', () => {
    const backoff = createBackoff({ baseMs: 100, capMs: 10_000, random: sequence(0.5) });
    backoff.next();
    backoff.next();
    expect(backoff.next()).toBe(200);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(50);
  });

  test('a cap below the base is refused', () => {
    expect(() => createBackoff({ baseMs: 1000, capMs: 10 })).toThrow(RangeError);
    expect(() => createBackoff({ baseMs: 0 })).toThrow(/0 < base/);
  });
});
