import type { BuildUser } from '../build-context.ts';
import { StepFailure } from '../errors/step-failure.ts';
import { buildCgroup } from './cgroup.ts';
import { Sandbox } from './sandbox.ts';
import { SANDBOX_DEFAULTS, type SandboxOptions, sandboxLimits } from './sandbox-options.ts';
import { sandboxSelfTest } from './self-test.ts';
import { systemMounts } from './system-mounts.ts';

/** The rule a root agent without a sandbox breaks, named in its refusal. */
export const NO_SANDBOX_RULE =
  'a root agent runs PKGBUILD code only in a sandbox (start it with --unsafe-no-sandbox to build without one)';

let warned = false;

/**
 * The sandbox for one build, or undefined to run as before (no bwrap, and either a non-root
 * agent, which warns once, or `unsafeNoSandbox`). A root agent without a usable bwrap refuses.
 */
export async function makeSandbox(
  options: SandboxOptions,
  user: BuildUser | undefined,
  paths: { readOnly: string[]; writable: string[]; cgroupName: string },
): Promise<{ sandbox: Sandbox; release(): Promise<void> } | undefined> {
  const test = await sandboxSelfTest(user, options.bwrap);
  if (!test.ok) {
    if (user && !options.unsafeNoSandbox) {
      throw new StepFailure(
        'metadata',
        `No build sandbox: bwrap failed its self-test (${test.reason}); refused by the rule: ${NO_SANDBOX_RULE}`,
      );
    }
    if (!warned) {
      warned = true;
      const why = user
        ? ' (--unsafe-no-sandbox: PKGBUILD code can read what the build user can)'
        : '';
      process.stderr.write(
        `rbee: warning: building without a sandbox${why}; bwrap failed its self-test: ${test.reason}\n`,
      );
    }
    return undefined;
  }
  const limits = sandboxLimits(options);
  const cgroup = user ? await buildCgroup(paths.cgroupName, limits) : undefined;
  const system = systemMounts();
  const sandbox = new Sandbox({
    user,
    limits,
    system,
    visibleRoots: system.flatMap((arg, i) => (arg === '--ro-bind' ? [system[i + 1]!] : [])),
    readOnly: [...paths.readOnly, ...(options.readOnlyPaths ?? [])],
    writable: paths.writable,
    hide: options.hidePaths ?? [],
    cgroup: cgroup?.path,
    network: (options.network ?? SANDBOX_DEFAULTS.network) === 'on',
    ...(options.bwrap ? { bwrap: options.bwrap } : {}),
  });
  return { sandbox, release: async () => cgroup?.remove() };
}
