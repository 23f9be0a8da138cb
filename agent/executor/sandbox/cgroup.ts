import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxLimits } from './sandbox-options.ts';

export type CgroupSupport = { ok: true; parent: string } | { ok: false; reason: string };

let support: Promise<CgroupSupport> | undefined;

/**
 * Whether builds can get a cgroup v2 of their own with memory (and cpu) limits: the agent's
 * own cgroup v2 folder must offer the controllers and be writable. Asked once per process.
 */
export function cgroupSupport(): Promise<CgroupSupport> {
  support ??= detect();
  return support;
}

async function detect(): Promise<CgroupSupport> {
  try {
    const own = (await readFile('/proc/self/cgroup', 'utf8'))
      .split('\n')
      .find((line) => line.startsWith('0::'));
    const mount = (await readFile('/proc/self/mounts', 'utf8'))
      .split('\n')
      .map((line) => line.split(' '))
      .find((fields) => fields[2] === 'cgroup2')?.[1];
    if (own === undefined || mount === undefined) {
      return { ok: false, reason: 'no cgroup v2 hierarchy is mounted' };
    }
    const parent = join(mount, own.slice(3));
    const controllers = (await readFile(join(parent, 'cgroup.controllers'), 'utf8')).split(/\s+/);
    if (!controllers.includes('memory') || !controllers.includes('cpu')) {
      return {
        ok: false,
        reason: `the cgroup v2 folder ${parent} offers no memory and cpu controllers`,
      };
    }
    const probe = join(parent, `rbee-probe-${process.pid}`);
    await mkdir(probe);
    await rmdir(probe);
    return { ok: true, parent };
  } catch (error) {
    return { ok: false, reason: `cgroups v2 are not writable here (${(error as Error).message})` };
  }
}

/** A cgroup for one build with its memory and CPU limits; undefined where there is none. */
export async function buildCgroup(
  name: string,
  limits: SandboxLimits,
): Promise<{ path: string; remove(): Promise<void> } | undefined> {
  const found = await cgroupSupport();
  if (!found.ok) return undefined;
  const path = join(found.parent, name);
  try {
    await writeFile(join(found.parent, 'cgroup.subtree_control'), '+memory +cpu').catch(() => {});
    await mkdir(path);
    await writeFile(join(path, 'memory.max'), String(limits.memoryBytes));
    await writeFile(join(path, 'memory.swap.max'), '0').catch(() => {});
    if (limits.cpus > 0) {
      await writeFile(join(path, 'cpu.max'), `${Math.round(limits.cpus * 100_000)} 100000`);
    }
  } catch {
    await rmdir(path).catch(() => {});
    return undefined;
  }
  return { path, remove: () => rmdir(path).catch(() => {}) };
}
