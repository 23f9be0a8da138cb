import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { lockStateDir, StateLockError } from '../../../agent/jobs/state-lock.ts';
import { repoRoot } from '../../support/edge-process.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'rbee-lock-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Another process that takes the lock as an agent does and keeps it until it dies. */
async function holder(dir: string): Promise<ChildProcess> {
  const code = `import { lockStateDir } from ${JSON.stringify(join(repoRoot, 'agent/jobs/state-lock.ts'))};
await lockStateDir(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: repoRoot,
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('held')) resolve();
    });
    child.once('exit', (status) => reject(new Error(`holder exited ${status}`)));
  });
  return child;
}

const refusal = (dir: string) =>
  `Cannot use state folder ${dir}: another agent holds its lock (flock on ${dir}/agent.lock); one agent per state folder`;

describe('lockStateDir (flock)', () => {
  test('writes this process id for people; release lets the next agent in at once', async () => {
    const dir = await tempDir();
    const lock = await lockStateDir(dir);
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await expect(lockStateDir(dir, { waitMs: 0 })).rejects.toThrow(refusal(dir));
    await lock.release();
    await (await lockStateDir(dir, { waitMs: 0 })).release();
  });

  test('a second agent process on the same folder is refused, naming the rule', async () => {
    const dir = await tempDir();
    await holder(dir);
    const attempt = lockStateDir(dir, { waitMs: 200 });
    await expect(attempt).rejects.toThrow(StateLockError);
    await expect(lockStateDir(dir, { waitMs: 200 })).rejects.toThrow(refusal(dir));
  }, 60_000);

  test('after a kill -9 the next agent starts, even when a live unrelated process has the PID in the file', async () => {
    const dir = await tempDir();
    const killed = await holder(dir);
    const written = await readFile(join(dir, 'agent.lock'), 'utf8');
    expect(written).toBe(`${killed.pid}\n`);
    const exited = new Promise((resolve) => killed.once('exit', resolve));
    killed.kill('SIGKILL');
    await exited;
    // What a PID lock trusted: a live process (not an agent) with the number in the file.
    const unrelated = spawn('sleep', ['30']);
    children.push(unrelated);
    await writeFile(join(dir, 'agent.lock'), `${unrelated.pid}\n`);
    const lock = await lockStateDir(dir);
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
  }, 60_000);

  test('without util-linux flock, perl holds the same kernel lock', async () => {
    const dir = await tempDir();
    // A shell whose PATH has no flock: the holder exits 127 and perl takes over.
    const noFlock = join(await tempDir(), 'sh-without-flock');
    await writeFile(noFlock, `#!/bin/sh\nPATH=${await tempDir()} exec /bin/sh "$@"\n`, {
      mode: 0o755,
    });
    const lock = await lockStateDir(dir, { shell: noFlock });
    // flock(1) and perl's flock are both flock(2): each refuses the other.
    await expect(lockStateDir(dir, { waitMs: 0 })).rejects.toThrow(refusal(dir));
    await lock.release();
    const byFlock = await lockStateDir(dir);
    await expect(lockStateDir(dir, { waitMs: 0, shell: noFlock })).rejects.toThrow(refusal(dir));
    await byFlock.release();
    await expect(lockStateDir(dir, { shell: noFlock, perl: '/nonexistent/perl' })).rejects.toThrow(
      `Cannot lock state folder ${dir}: neither flock (util-linux) nor perl is on PATH`,
    );
  });

  test('the lock is held by one small process beside the agent', async () => {
    const dir = await tempDir();
    const agent = await holder(dir);
    const kids = spawnSync('ps', ['-o', 'comm=', '--ppid', String(agent.pid)], {
      encoding: 'utf8',
    });
    expect(kids.stdout.trim().split('\n')).toEqual(['cat']);
  }, 60_000);
});
