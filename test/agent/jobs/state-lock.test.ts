import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lockStateDir, StateLockError } from '../../../agent/jobs/state-lock.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'rbee-lock-'));

describe('lockStateDir', () => {
  test('writes this process id, and release removes the lock', async () => {
    const dir = await tempDir();
    const lock = await lockStateDir(dir);
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  test('a live agent holding the folder is refused, naming its pid', async () => {
    const dir = await tempDir();
    const other = spawn('sleep', ['30']);
    try {
      await writeFile(join(dir, 'agent.lock'), `${other.pid}\n`);
      const attempt = lockStateDir(dir);
      await expect(attempt).rejects.toThrow(StateLockError);
      await expect(lockStateDir(dir)).rejects.toThrow(
        `Cannot use state folder ${dir}: agent process ${other.pid} is using it`,
      );
    } finally {
      other.kill('SIGKILL');
    }
  });

  test('a lock left by a killed agent is taken over', async () => {
    const dir = await tempDir();
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    await writeFile(join(dir, 'agent.lock'), `${dead.pid}\n`);
    const lock = await lockStateDir(dir);
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
  });

  test('an unreadable lock file is taken over', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'agent.lock'), 'garbage');
    await (await lockStateDir(dir)).release();
  });
});
