import { existsSync } from 'node:fs';
import type { BuildUser } from '../build-context.ts';
import { type SandboxLayout, sandboxArgv } from './bwrap-args.ts';
import type { SandboxLimits } from './sandbox-options.ts';

export type SandboxSetup = {
  user: BuildUser | undefined;
  limits: SandboxLimits;
  system: string[];
  /** Host roots the system mounts show, to tell which hidden folders would be visible. */
  visibleRoots: string[];
  readOnly: string[];
  writable: string[];
  hide: string[];
  cgroup: string | undefined;
  /** Whether the PKGBUILD's own code may use the network. */
  network: boolean;
  bwrap?: string;
};

/**
 * One build's sandbox: turns a command of the build into the command that runs it inside
 * bwrap, as the build user, with the build's limits.
 * @example
 * const { file, args } = sandbox.command('bash', [script, 'build'], { cwd: startdir, pkgbuildCode: true });
 */
export class Sandbox {
  private readonly layout: SandboxLayout;

  constructor(private readonly setup: SandboxSetup) {
    const visible = [...setup.visibleRoots, ...setup.readOnly, ...setup.writable];
    const under = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
    const hide = setup.hide.filter(
      (path) => existsSync(path) && visible.some((root) => under(path, root)),
    );
    const mounts = [
      ...setup.readOnly.map((path) => ({ path, hide: false })),
      ...hide.map((path) => ({ path, hide: true })),
    ].sort((a, b) => a.path.split('/').length - b.path.split('/').length);
    this.layout = { system: setup.system, mounts, writable: setup.writable };
  }

  /** The argv (file first) that runs `file args` in the sandbox, starting in `cwd`. */
  command(
    file: string,
    args: string[],
    options: { cwd: string; pkgbuildCode?: boolean },
  ): { file: string; args: string[] } {
    const argv = sandboxArgv(
      {
        user: this.setup.user,
        limits: this.setup.limits,
        layout: this.layout,
        cgroup: this.setup.cgroup,
        network: this.setup.network || !options.pkgbuildCode,
        cwd: options.cwd,
        ...(this.setup.bwrap ? { bwrap: this.setup.bwrap } : {}),
      },
      file,
      args,
    );
    return { file: argv[0]!, args: argv.slice(1) };
  }
}
