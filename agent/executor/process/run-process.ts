import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { BuildContext } from '../build-context.ts';
import { type PumpOptions, pumpOutput } from './output-pump.ts';
import { endProcessGroup } from './process-group.ts';

/** How long the pipes may stay open after the process group is gone (a child that escaped it). */
const PIPE_CLOSE_WAIT_MS = 2000;

export type ProcessOptions = PumpOptions & {
  cwd: string;
  /** Collect what the process writes to fd 3 (the driver's metadata dump). */
  captureFd3?: boolean;
  /** Run as the invoking user even when a build user is set (trusted helpers only). */
  asInvoker?: boolean;
  /** The PKGBUILD's own code (sourcing it, its functions): `--build-network off` applies. */
  pkgbuildCode?: boolean;
};

export type ProcessResult = {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  fd3: Buffer;
};

/**
 * Runs one command of a build in its own process group, as the build user, with every line
 * of its output going to the build's event sink. Resolves when the command has exited, no
 * process of its group is left, and every line is delivered.
 */
export async function runProcess(
  ctx: BuildContext,
  file: string,
  args: string[],
  options: ProcessOptions,
): Promise<ProcessResult> {
  const run = options.asInvoker
    ? { file, args, cwd: options.cwd, user: undefined }
    : ctx.command(file, args, options.cwd, options.pkgbuildCode);
  const user = run.user;
  const child = spawn(run.file, run.args, {
    cwd: run.cwd,
    env: ctx.env,
    // A new process group, so cancel reaches the build's background children too.
    detached: true,
    stdio: options.captureFd3 ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const fd3: Buffer[] = [];
  if (options.captureFd3) (child.stdio[3] as Readable).on('data', (c: Buffer) => fd3.push(c));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  );
  // A throwing event handler stops the whole build; the caller sees ctx.stopped.
  const pump = pumpOutput(child.stdout!, child.stderr!, ctx.sink, options).catch(
    (error: unknown) => {
      ctx.handlerError ??= error;
      ctx.stop('handler');
    },
  );
  await spawned;
  const pgid = child.pid!;
  ctx.track(pgid);
  try {
    const [exitCode, signal] = await exited;
    // The command is done; whatever it left running in its group goes too.
    await endProcessGroup(pgid, ctx.graceMs);
    await closePipes(child, pump);
    return { exitCode, signal, fd3: Buffer.concat(fd3) };
  } finally {
    ctx.untrack(pgid);
  }
}

/** Waits for the output to be delivered; gives up on pipes held open by an escaped child. */
async function closePipes(child: ChildProcess, pump: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), PIPE_CLOSE_WAIT_MS);
  });
  try {
    if ((await Promise.race([pump.then(() => 'done' as const), stuck])) === 'stuck') {
      for (const stream of child.stdio) stream?.destroy();
      await pump;
    }
  } finally {
    clearTimeout(timer);
  }
}
