import { randomId } from '../auth/tokens.ts';

/**
 * A job id that sorts by creation time: `job_` + 10 base32 digits of milliseconds + 14 random.
 * Key order in the store is then creation order, so listing newest first needs no index.
 */
export function newJobId(now: number): string {
  const alphabet = '234567abcdefghijklmnopqrstuvwxyz'; // ASCII order, so text order = number order
  let t = now;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return `job_${time}${randomId(14)}`;
}
