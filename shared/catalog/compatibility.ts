import type { CatalogEntry } from './schema.ts';

/** What the compatibility check needs to know about a hive (its reported platform). */
export type HivePlatform = {
  os: string;
  arch: string;
  accelerators: ReadonlyArray<{ kind: string; name?: string; driver?: string }>;
};

/** Why a hive cannot run an entry: a stable code and a sentence that says what is missing. */
export type Incompatibility = {
  code: 'NO_PLATFORM' | 'OS' | 'ARCH' | 'NO_CUDA' | 'NO_METAL';
  message: string;
};

/**
 * Can a hive run a catalog entry? Checks os, arch and the accelerator the entry's worker_type
 * needs (cuda: an NVIDIA GPU with its driver; metal: macOS on Apple silicon). The agent's
 * platform step and the edge's `GET /workers?hive=` both call this, so they never disagree.
 * @example
 * incompatibilities(entry, { os: 'linux', arch: 'x86_64', accelerators: [] })
 * // [{ code: 'NO_CUDA', message: 'llm-worker-rbee-cuda needs CUDA: no NVIDIA driver on this hive' }]
 */
export function incompatibilities(
  entry: CatalogEntry,
  platform: HivePlatform | null,
): Incompatibility[] {
  if (!platform) {
    return [
      {
        code: 'NO_PLATFORM',
        message: 'the hive has not reported its platform yet (it never connected)',
      },
    ];
  }
  const out: Incompatibility[] = [];
  if (!(entry.platforms as string[]).includes(platform.os)) {
    out.push({
      code: 'OS',
      message: `${entry.id} runs on ${entry.platforms.join(', ')}, not ${platform.os}`,
    });
  }
  if (!(entry.architectures as string[]).includes(platform.arch)) {
    out.push({
      code: 'ARCH',
      message: `${entry.id} is built for ${entry.architectures.join(', ')}, not ${platform.arch}`,
    });
  }
  if (entry.worker_type === 'cuda') {
    const gpus = platform.accelerators.filter((a) => a.kind === 'cuda');
    if (gpus.length === 0) {
      out.push({
        code: 'NO_CUDA',
        message: `${entry.id} needs CUDA: no NVIDIA GPU with a driver on this hive (nvidia-smi found none)`,
      });
    } else if (!gpus.some((g) => g.driver)) {
      out.push({
        code: 'NO_CUDA',
        message: `${entry.id} needs CUDA: the NVIDIA GPU on this hive reports no driver version`,
      });
    }
  }
  if (entry.worker_type === 'metal') {
    const apple = platform.os === 'macos' && platform.arch === 'aarch64';
    if (!apple || !platform.accelerators.some((a) => a.kind === 'metal')) {
      out.push({
        code: 'NO_METAL',
        message: `${entry.id} needs Metal: macOS on Apple silicon, and this hive is ${platform.os}/${platform.arch}`,
      });
    }
  }
  return out;
}
