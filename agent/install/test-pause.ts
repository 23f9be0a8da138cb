/**
 * A test seam for crash tests: with `RBEE_TEST_PAUSE_INSTALL=<n>`, the agent stops after the
 * n-th move of an install that replaces a version, prints `rbee-test: install paused after
 * move <n>` and waits for ever, so a test can kill -9 it on that line rather than after a sleep.
 */
export async function pauseForTest(moved: number, upgrade: boolean): Promise<void> {
  const at = Number(process.env.RBEE_TEST_PAUSE_INSTALL);
  if (!upgrade || !Number.isInteger(at) || at !== moved) return;
  process.stdout.write(`rbee-test: install paused after move ${moved}\n`);
  await new Promise(() => {});
}
