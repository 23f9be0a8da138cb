import { buildUser } from '../build-user.ts';
import { cgroupSupport } from './cgroup.ts';
import { NO_SANDBOX_RULE } from './make-sandbox.ts';
import { SANDBOX_DEFAULTS, type SandboxOptions, sandboxLimits } from './sandbox-options.ts';
import { sandboxSelfTest } from './self-test.ts';

/**
 * The agent's start-up check of the build sandbox: runs bwrap once the way a build will and
 * says, in lines for the agent's log, what builds get (or why they will be refused).
 * @example for (const line of await sandboxReport(options.sandbox ?? {})) log(line);
 */
export async function sandboxReport(options: SandboxOptions): Promise<string[]> {
  const user = buildUser({});
  const test = await sandboxSelfTest(user, options.bwrap);
  if (!test.ok) {
    if (user && !options.unsafeNoSandbox) {
      return [
        `rbee agent: no build sandbox (bwrap failed its self-test: ${test.reason}); every build will be refused by the rule: ${NO_SANDBOX_RULE}`,
      ];
    }
    return [
      `rbee agent: WARNING: builds run without a sandbox (bwrap failed its self-test: ${test.reason})`,
    ];
  }
  const limits = sandboxLimits(options);
  const network = options.network ?? SANDBOX_DEFAULTS.network;
  const lines = [
    `rbee agent: build sandbox ready (bwrap): network ${network}, at most ${limits.maxProcesses} processes, ${limits.maxOpenFiles} open files, ${limits.maxFileBytes} bytes per file`,
  ];
  const cgroups = user ? await cgroupSupport() : { ok: false as const, reason: 'not root' };
  lines.push(
    cgroups.ok
      ? `rbee agent: builds get a cgroup v2 each: memory.max ${limits.memoryBytes} bytes${limits.cpus > 0 ? `, ${limits.cpus} CPUs` : ''}`
      : `rbee agent: no memory or CPU limit for builds: ${cgroups.reason}`,
  );
  return lines;
}
