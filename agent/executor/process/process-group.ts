import { readdirSync, readFileSync } from 'node:fs';

const POLL_MS = 20;
/** How long to wait for SIGKILL to take effect before giving up. */
const KILL_WAIT_MS = 1000;

/** Sends a signal to every process of a group; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Whether a process of the group is still running. Zombies do not count: a killed child whose
 * parent is gone waits for init to reap it, and some inits (containers) never do.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue;
    }
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}

/**
 * Ends a process group the execa way: SIGTERM, then SIGKILL after `graceMs` for whatever is
 * still there. Resolves once no process of the group is left running, so a background child
 * that a build started cannot outlive it.
 */
export async function endProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) {
      signalGroup(pgid, 'SIGKILL');
      const killDeadline = Date.now() + KILL_WAIT_MS;
      while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(POLL_MS);
      return;
    }
    await sleep(POLL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
