/**
 * The rotating sample of the makepkg oracle suites: which cases run against a live makepkg in
 * this run. A new seed every run (printed; RBEE_ORACLE_SEED replays one), so over many runs every
 * stored answer is re-checked; RBEE_ORACLE=live (`npm run test:oracle`) runs every case live.
 */
export const oracleLive = process.env.RBEE_ORACLE === 'live';
export const oracleSeed = Number(
  process.env.RBEE_ORACLE_SEED ?? Math.floor(Math.random() * 2 ** 31),
);

/** xorshift32 from `seed`: small and deterministic, enough to rotate a sample. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/**
 * `n` items picked by `seed`, taken in turn from each group so every group is sampled: all items
 * when the suite runs live.
 */
export function oracleSample<T>(groups: T[][], n: number, seed = oracleSeed): T[] {
  if (oracleLive) return groups.flat();
  const next = seededRandom(seed);
  const pools = groups.map((g) => [...g]).filter((g) => g.length > 0);
  const total = pools.reduce((sum, g) => sum + g.length, 0);
  const picked: T[] = [];
  for (let i = 0; picked.length < Math.min(n, total); i++) {
    const pool = pools[i % pools.length]!;
    if (pool.length === 0) continue;
    picked.push(pool.splice(Math.floor(next() * pool.length), 1)[0]!);
  }
  return picked;
}

export function describeSample(suite: string, names: string[]): void {
  if (oracleLive) return;
  console.log(
    `${suite}: live makepkg for ${names.join(', ')} ` +
      `(RBEE_ORACLE_SEED=${oracleSeed} replays this sample; npm run test:oracle runs all)`,
  );
}
