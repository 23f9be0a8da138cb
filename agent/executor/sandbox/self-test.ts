import { failureSummary, probe } from '../../probe/probe.ts';
import type { BuildUser } from '../build-context.ts';
import { sandboxArgv } from './bwrap-args.ts';
import { sandboxLimits } from './sandbox-options.ts';
import { systemMounts } from './system-mounts.ts';

export type SelfTest = { ok: true } | { ok: false; reason: string };

const results = new Map<string, Promise<SelfTest>>();

/**
 * Runs `true` once in a sandbox like a build's (as `user`, every namespace, the limits), so
 * a host where bwrap is missing or cannot make namespaces is found before a build starts.
 * Asked once per user and bwrap program in a process.
 */
export function sandboxSelfTest(user: BuildUser | undefined, bwrap = 'bwrap'): Promise<SelfTest> {
  const key = `${user?.uid}:${user?.gid}:${bwrap}`;
  let result = results.get(key);
  if (result === undefined) {
    result = run(user, bwrap);
    results.set(key, result);
  }
  return result;
}

async function run(user: BuildUser | undefined, bwrap: string): Promise<SelfTest> {
  const argv = sandboxArgv(
    {
      user,
      limits: sandboxLimits({}),
      layout: { system: systemMounts(), mounts: [], writable: [] },
      cgroup: undefined,
      network: false,
      cwd: '/',
      bwrap,
    },
    'true',
    [],
  );
  const res = await probe(argv[0]!, argv.slice(1), { cwd: '/', env: { PATH: process.env.PATH } });
  if (!res.failed) return { ok: true };
  // bwrap's own complaint says it best ("No permissions to create new namespace").
  const said = `${res.stderr}`.trim().split('\n').at(-1);
  return { ok: false, reason: said || failureSummary(res) };
}
