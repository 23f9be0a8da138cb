import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** How one dependency was found on the hive, or that it was not. */
export type DependencyCheck = {
  name: string;
  found: 'command' | 'library' | 'pacman' | 'dpkg' | 'brew' | null;
};

export type DependencyProbe = {
  /** PATH to search for commands (default process.env.PATH). */
  path?: string;
};

/** A dependency without its version constraint: `glibc>=2.31` → `glibc`. */
export function dependencyName(dep: string): string {
  return dep.split(/[<>=]/, 1)[0]!.trim();
}

function run(command: string, args: string[]): Promise<{ ok: boolean; stdout: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      resolve({ ok: !error, stdout: String(stdout ?? '') }),
    );
  });
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

/** The `ldconfig -p` cache, read once per check. */
async function ldconfigLibraries(): Promise<string[]> {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const res = await run(ldconfig, ['-p']);
    if (res.ok) return res.stdout.split('\n').map((l) => l.trim().split(' ', 1)[0]!);
  }
  return [];
}

/**
 * Resolves each dependency on this hive: a command on PATH, a library known to ldconfig
 * (`libfoo.so…` for `foo` or `libfoo`), or a package the host's manager knows (`pacman -T`,
 * `dpkg-query`, `brew`). Returns one check per dependency, `found: null` when none had it.
 * @example (await checkDependencies(['bash', 'nosuch'])).filter((d) => !d.found) // [{ name: 'nosuch', found: null }]
 */
export async function checkDependencies(
  deps: string[],
  probe: DependencyProbe = {},
): Promise<DependencyCheck[]> {
  const path = probe.path ?? process.env.PATH ?? '';
  let libraries: string[] | undefined;
  const out: DependencyCheck[] = [];
  for (const dep of [...new Set(deps)]) {
    const name = dependencyName(dep);
    if (await onPath(name, path)) {
      out.push({ name: dep, found: 'command' });
      continue;
    }
    libraries ??= await ldconfigLibraries();
    const lib = name.startsWith('lib') ? name : `lib${name}`;
    if (libraries.some((l) => l.startsWith(`${lib}.so`))) {
      out.push({ name: dep, found: 'library' });
      continue;
    }
    if ((await onPath('pacman', path)) && (await run('pacman', ['-T', dep])).ok) {
      out.push({ name: dep, found: 'pacman' });
      continue;
    }
    if (await onPath('dpkg-query', path)) {
      // dpkg-query's own format syntax, not a template.
      const res = await run('dpkg-query', ['-W', `-f=\${Status}`, name]);
      if (res.ok && res.stdout.includes('install ok installed')) {
        out.push({ name: dep, found: 'dpkg' });
        continue;
      }
    }
    if ((await onPath('brew', path)) && (await run('brew', ['list', '--versions', name])).ok) {
      out.push({ name: dep, found: 'brew' });
      continue;
    }
    out.push({ name: dep, found: null });
  }
  return out;
}
