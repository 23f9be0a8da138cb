import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const tsxBin = join(repoRoot, 'node_modules', '.bin', 'tsx');
/**
 * Node flags that run a TypeScript entry as ONE process (`node --import tsx entry`): the tsx
 * CLI forks a child, and a signal to that wrapper would leave the child running.
 */
export const NODE_TS = ['--import', 'tsx'];
export const denoBin = join(repoRoot, 'node_modules', '.bin', 'deno');

export type EdgeProcess = {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/**
 * How long a process may take to print its "listening" line. A start loads tsx and compiles
 * TypeScript: a second or two on a quiet machine, far more when process creation is slow.
 */
const START_LIMIT_MS = 120_000;

/**
 * Starts a real process and resolves with the URL it prints in its "listening on URL" line.
 * Fails with the process's output if it exits first or does not listen within the time limit.
 */
export function startListening(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<EdgeProcess> {
  const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env, NO_COLOR: '1' } });
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not listen within ${START_LIMIT_MS / 1000} s; output:\n${out}`));
    }, START_LIMIT_MS);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          child,
          output: () => out,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before listening; output:\n${out}`));
    });
  });
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `rbee-${prefix}-`));

/** `rbee edge` on Node, as a separate process on a free port. */
export function startNodeEdge(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return startListening(
    process.execPath,
    [
      ...NODE_TS,
      'cli/rbee.ts',
      'edge',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data',
      tempDir('edge'),
      ...extraArgs,
    ],
    env,
  );
}

/** The same edge under Deno (`deno task edge`), as a separate process on a free port. */
export function startDenoEdge(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return startListening(
    denoBin,
    [
      'task',
      '-q',
      'edge',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data',
      tempDir('deno'),
      ...extraArgs,
    ],
    env,
  );
}
