import { readdirSync, readFileSync } from 'node:fs';

/**
 * Host pids of running processes (zombies left out) whose environment holds `entry`
 * (`NAME=value`). A sandboxed build writes pids of its own PID namespace, which mean nothing
 * outside it, so tests find a build's processes by a variable they inherit instead.
 */
export function processesWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (!environ.includes(entry)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') {
        found.push(Number(name));
      }
    } catch {}
  }
  return found;
}

/** A unique `BG_TOKEN=…` entry for one build's environment. */
export function bgToken(): string {
  return `BG_TOKEN=${process.pid}-${Math.random().toString(36).slice(2)}`;
}
