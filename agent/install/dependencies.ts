import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { commandMissing, type ProbeOptions, type ProbeResult, probe } from '../probe/probe.ts';
import { ProbeError } from '../probe/probe-error.ts';

/** How one dependency was found on the hive, or that it was not. */
export type DependencyCheck = {
  name: string;
  found: 'command' | 'library' | 'pacman' | 'dpkg' | 'brew' | null;
};

export type DependencyProbe = {
  /** PATH to search for commands (default process.env.PATH). */
  path?: string;
  /** Per query of ldconfig, pacman, dpkg-query or brew (default 10 s). */
  timeoutMs?: number;
  /** Output kept per query (default 16 MiB: `ldconfig -p` lists every library). */
  maxBuffer?: number;
};

/** Defaults of DependencyProbe's limits. */
export const DEPENDENCY_PROBE_DEFAULTS = {
  timeoutMs: 10_000,
  maxBuffer: 16 * 1024 * 1024,
} as const;

/** A dependency without its version constraint: `glibc>=2.31` → `glibc`. */
export function dependencyName(dep: string): string {
  return dep.split(/[<>=]/, 1)[0]!.trim();
}

/**
 * Asks a package tool a yes/no question: any exit code is an answer (0 yes; pacman -T's 127,
 * dpkg-query's and brew's 1 no). A query that ran to no exit code (timed out, killed, output
 * over the cap, could not start) cannot answer: it throws a ProbeError.
 */
async function ask(command: string, args: string[], limits: ProbeOptions): Promise<ProbeResult> {
  const result = await probe(command, args, limits);
  if (result.exitCode === undefined) throw new ProbeError(result);
  return result;
}

async function onPath(name: string, path: string): Promise<boolean> {
  if (name.includes('/')) return false;
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/**
 * The `ldconfig -p` cache, read once per check; empty where there is no ldconfig (macOS). An
 * ldconfig that is there but fails throws a ProbeError rather than hiding every library.
 */
async function ldconfigLibraries(limits: ProbeOptions): Promise<string[]> {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const res = await probe(ldconfig, ['-p'], limits);
    if (commandMissing(res)) continue;
    if (res.failed) throw new ProbeError(res);
    return res.stdout.split('\n').map((l) => l.trim().split(' ', 1)[0]!);
  }
  return [];
}

/**
 * Resolves each dependency on this hive: a command on PATH, a library known to ldconfig
 * (`libfoo.so…` for `foo` or `libfoo`), or a package the host's manager knows (`pacman -T`,
 * `dpkg-query`, `brew`). Returns one check per dependency, `found: null` when none had it.
 * Rejects with a ProbeError when a tool that is there could not answer (timeout, crash).
 * @example (await checkDependencies(['bash', 'nosuch'])).filter((d) => !d.found) // [{ name: 'nosuch', found: null }]
 */
export async function checkDependencies(
  deps: string[],
  probe: DependencyProbe = {},
): Promise<DependencyCheck[]> {
  const path = probe.path ?? process.env.PATH ?? '';
  // The tools run are the ones found on this PATH.
  const limits: ProbeOptions = {
    env: { ...process.env, PATH: path },
    timeoutMs: probe.timeoutMs ?? DEPENDENCY_PROBE_DEFAULTS.timeoutMs,
    maxBuffer: probe.maxBuffer ?? DEPENDENCY_PROBE_DEFAULTS.maxBuffer,
  };
  let libraries: string[] | undefined;
  const out: DependencyCheck[] = [];
  for (const dep of [...new Set(deps)]) {
    const name = dependencyName(dep);
    if (await onPath(name, path)) {
      out.push({ name: dep, found: 'command' });
      continue;
    }
    libraries ??= await ldconfigLibraries(limits);
    const lib = name.startsWith('lib') ? name : `lib${name}`;
    if (libraries.some((l) => l.startsWith(`${lib}.so`))) {
      out.push({ name: dep, found: 'library' });
      continue;
    }
    if (
      (await onPath('pacman', path)) &&
      (await ask('pacman', ['-T', dep], limits)).exitCode === 0
    ) {
      out.push({ name: dep, found: 'pacman' });
      continue;
    }
    if (await onPath('dpkg-query', path)) {
      // dpkg-query's own format syntax, not a template.
      const res = await ask('dpkg-query', ['-W', `-f=\${Status}`, name], limits);
      if (res.exitCode === 0 && res.stdout.includes('install ok installed')) {
        out.push({ name: dep, found: 'dpkg' });
        continue;
      }
    }
    if (
      (await onPath('brew', path)) &&
      (await ask('brew', ['list', '--versions', name], limits)).exitCode === 0
    ) {
      out.push({ name: dep, found: 'brew' });
      continue;
    }
    out.push({ name: dep, found: null });
  }
  return out;
}
