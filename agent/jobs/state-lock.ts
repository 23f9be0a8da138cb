import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live agent holds the state folder. */
export class StateLockError extends Error {
  override name = 'StateLockError';
}

/** Whether a process with this pid exists (EPERM: it does, but is someone else's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dir>/agent.lock` for this process. Two agents on one state folder would run each
 * other's jobs and interleave one spool; a lock left by an agent that was killed (its pid is
 * gone) is taken over, since a crash is exactly what the state folder must survive.
 * @example
 * const lock = await lockStateDir('/var/lib/rbee/agent'); // throws StateLockError if taken
 * await lock.release();
 */
export async function lockStateDir(dir: string): Promise<{ release(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'agent.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new StateLockError(
        `Cannot use state folder ${dir}: agent process ${pid} is using it (if it is not an agent, delete ${path})`,
      );
    }
    await rm(path, { force: true });
  }
}
