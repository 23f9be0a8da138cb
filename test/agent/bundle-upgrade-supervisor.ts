import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hiveEnv } from './bundle-support.ts';

export type Supervisor = { output: () => string; exits: number[]; stop(): Promise<void> };

/**
 * Runs `node BUNDLE run ARGS` the way the systemd unit does: Restart=on-failure,
 * RestartPreventExitStatus=77 78, and ExecStopPost (`rollback`, when given) with $EXIT_STATUS
 * after every exit. `exits` lists the exit codes in order.
 */
export function supervise(
  bundle: string,
  rollback: string | null,
  args: string[],
  env: NodeJS.ProcessEnv,
): Supervisor {
  let out = '';
  const exits: number[] = [];
  let child: ChildProcess | undefined;
  let stopping = false;
  let done: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    done = resolve;
  });
  const start = () => {
    child = spawn(process.execPath, [bundle, 'run', ...args], {
      env: hiveEnv(env),
      cwd: join(bundle, '..'),
    });
    const t0 = Date.now();
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    if (process.env.RBEE_TEST_TRACE)
      child.stdout!.on('data', (c: Buffer) => process.stderr.write(`[${Date.now() - t0} ms] ${c}`));
    child.once('exit', (code, signal) => {
      const status = code ?? (signal === 'SIGTERM' ? 'TERM' : 'KILL');
      if (typeof status === 'number') exits.push(status);
      if (rollback) {
        const post = spawnSync('sh', [rollback], {
          env: { PATH: process.env.PATH, EXIT_STATUS: String(status) },
          encoding: 'utf8',
        });
        out += post.stderr;
      }
      if (stopping || status === 0 || status === 77 || status === 78 || typeof status === 'string')
        done();
      else start();
    });
  };
  start();
  return {
    output: () => out,
    exits,
    async stop() {
      stopping = true;
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await ended;
    },
  };
}
