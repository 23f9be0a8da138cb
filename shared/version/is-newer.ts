/**
 * True when version `a` is newer than `b`: dotted numbers compared one by one; a release is
 * newer than its pre-release (`1.2.0` > `1.2.0-rc.1`), pre-releases compare as text.
 * @example isNewer('0.1.10', '0.1.9') // true
 */
export function isNewer(a: string, b: string): boolean {
  const [coreA = '', preA] = a.split('-', 2);
  const [coreB = '', preB] = b.split('-', 2);
  const partsA = coreA.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const partsB = coreB.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
    const x = partsA[i] ?? 0;
    const y = partsB[i] ?? 0;
    if (x !== y) return x > y;
  }
  if (preA === undefined) return preB !== undefined;
  if (preB === undefined) return false;
  return preA > preB;
}
