import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Limits bound a failure; they are not performance claims. Process creation on a loaded
    // machine is slow (a fork and exec ~20 ms, a tsx start several seconds), so they are wide.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // expect.poll waits on a condition; vitest's 1 s default is a wall-clock hope under load.
    expect: { poll: { timeout: 30_000 } },
    pool: 'forks',
  },
});
