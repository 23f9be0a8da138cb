/** Runs fn now and then every ms, never two at once; a failure shows and the loop goes on. */
export function every(
  ms: number,
  fn: () => Promise<void>,
  onError?: (e: Error) => void,
): Promise<void> {
  const run = async () => {
    try {
      await fn();
    } catch (e) {
      onError?.(e as Error);
    }
    window.setTimeout(run, ms);
  };
  return run();
}
