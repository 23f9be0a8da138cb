import {
  SANDBOX_DEFAULTS,
  type SandboxOptions,
} from '../../agent/executor/sandbox/sandbox-options.ts';
import { UsageError } from '../command.ts';

/** The build-sandbox flags of `rbee agent`. */
export const sandboxFlagSpec = {
  'build-network': { type: 'string' },
  'unsafe-no-sandbox': { type: 'boolean' },
  'build-max-processes': { type: 'string' },
  'build-max-open-files': { type: 'string' },
  'build-max-file-size': { type: 'string' },
  'build-memory': { type: 'string' },
  'build-cpus': { type: 'string' },
} as const;

const GIB = 1024 * 1024 * 1024;

export const sandboxUsage = `build sandbox (every PKGBUILD function and source tool runs in bubblewrap):
  --build-network on|off   whether PKGBUILD code reaches the network; sources always do
                           (default ${SANDBOX_DEFAULTS.network})
  --build-max-processes N  processes of the build user at once (default ${SANDBOX_DEFAULTS.maxProcesses})
  --build-max-open-files N open files per process (default ${SANDBOX_DEFAULTS.maxOpenFiles})
  --build-max-file-size S  largest file a build writes: 500M, 16G (default ${SANDBOX_DEFAULTS.maxFileBytes / GIB}G)
  --build-memory S         memory of a build, where cgroups v2 are writable (default ${SANDBOX_DEFAULTS.memoryBytes / GIB}G)
  --build-cpus N           CPUs' worth of time for a build, where cgroups v2 are writable
                           (default 0: unlimited)
  --unsafe-no-sandbox      as root, build even where no sandbox can be made (bwrap missing
                           or refused): PKGBUILD code then sees what the build user can`;

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: GIB, T: 1024 * GIB };

/** `4096`, `500K`, `500M`, `16G`. */
function size(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)([KMGT]?)$/i.exec(text.trim());
  const n = match ? Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]! : 0;
  if (!match || n < 1) {
    throw new UsageError(`--${name} must be a size like 4096, 500M or 16G, got "${text}"`);
  }
  return n;
}

function count(name: string, text: string | undefined, zeroOk = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || (!zeroOk && n < 1) || (!zeroOk && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} must be a positive ${zeroOk ? 'number' : 'integer'}, got "${text}"`,
    );
  }
  return n;
}

/** Turns the parsed sandbox flags into the agent's sandbox options. */
export function sandboxOptionsFrom(
  values: {
    [K in keyof typeof sandboxFlagSpec]?: string | boolean | undefined;
  },
): SandboxOptions {
  const network = values['build-network'] as string | undefined;
  if (network !== undefined && network !== 'on' && network !== 'off') {
    throw new UsageError(`--build-network must be on or off, got "${network}"`);
  }
  const out: SandboxOptions = {};
  if (network) out.network = network;
  if (values['unsafe-no-sandbox'] === true) out.unsafeNoSandbox = true;
  const set = <K extends keyof SandboxOptions>(key: K, value: SandboxOptions[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('maxProcesses', count('build-max-processes', values['build-max-processes'] as string));
  set('maxOpenFiles', count('build-max-open-files', values['build-max-open-files'] as string));
  set('maxFileBytes', size('build-max-file-size', values['build-max-file-size'] as string));
  set('memoryBytes', size('build-memory', values['build-memory'] as string));
  set('cpus', count('build-cpus', values['build-cpus'] as string, true));
  return out;
}
