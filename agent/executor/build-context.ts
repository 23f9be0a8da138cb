import type { BuildStep } from './events/build-event.ts';
import type { EventSink } from './events/event-sink.ts';
import { endProcessGroup } from './process/process-group.ts';
import type { Sandbox } from './sandbox/sandbox.ts';

/** Why a build was stopped from outside its own processes. */
export type StopReason = 'canceled' | 'timeout' | 'output' | 'handler';

/** The user the PKGBUILD's code runs as, when the agent runs as root. */
export type BuildUser = { uid: number; gid: number };

/**
 * What every stage of one build shares: the event sink, who runs the processes and with
 * which environment, and the stop switch that ends every running process group.
 */
export class BuildContext {
  stopped: StopReason | undefined;
  /** The handler's error, when the event handler threw. */
  handlerError: unknown;
  /** The step running now, for errors raised from outside it (timeout, cancel). */
  step: BuildStep = 'metadata';
  /** The PKGBUILD function running now, if any. */
  function: string | undefined;
  /** Set once the sandbox is made: every command of the build then runs inside it. */
  sandbox: Sandbox | undefined;
  private readonly groups = new Set<number>();
  private readonly controller = new AbortController();

  constructor(
    readonly sink: EventSink,
    /** Set when running as root: every process of the build switches to this user. */
    readonly user: BuildUser | undefined,
    readonly env: NodeJS.ProcessEnv,
    readonly graceMs: number,
  ) {}

  /**
   * How to run a command of the build: inside the sandbox when there is one (which switches
   * user itself), else as the build user directly.
   */
  command(
    file: string,
    args: string[],
    cwd: string,
    pkgbuildCode = false,
  ): { file: string; args: string[]; cwd: string; user: BuildUser | undefined } {
    if (this.sandbox === undefined) return { file, args, cwd, user: this.user };
    return {
      ...this.sandbox.command(file, args, { cwd, pkgbuildCode }),
      cwd: '/',
      user: undefined,
    };
  }

  /** Aborted when the build is stopped; for in-process work such as downloads. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the build: every running process group gets SIGTERM, then SIGKILL. */
  stop(reason: StopReason): void {
    if (this.stopped !== undefined) return;
    this.stopped = reason;
    this.controller.abort();
    for (const pgid of this.groups) void endProcessGroup(pgid, this.graceMs);
  }

  track(pgid: number): void {
    this.groups.add(pgid);
    if (this.stopped !== undefined) void endProcessGroup(pgid, this.graceMs);
  }

  untrack(pgid: number): void {
    this.groups.delete(pgid);
  }
}
