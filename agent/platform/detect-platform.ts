import { execFile } from 'node:child_process';
import { hostname, arch as osArch, platform as osPlatform } from 'node:os';
import type { PlatformInfo } from '../../shared/protocol/index.ts';

type Accelerator = PlatformInfo['accelerators'][number];

const osNames: Partial<Record<NodeJS.Platform, PlatformInfo['os']>> = {
  linux: 'linux',
  darwin: 'macos',
  win32: 'windows',
};
const archNames: Partial<Record<string, PlatformInfo['arch']>> = {
  x64: 'x86_64',
  arm64: 'aarch64',
};

/** This machine is not one the catalog builds for. */
export class UnsupportedPlatformError extends Error {
  override name = 'UnsupportedPlatformError';
}

/** Runs a probe command; resolves with its stdout, or undefined if it is missing or fails. */
function probe(command: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5_000, windowsHide: true }, (error, stdout) =>
      resolve(error ? undefined : stdout),
    );
  });
}

/** NVIDIA GPUs, as `nvidia-smi` lists them: one accelerator per GPU with its driver version. */
export async function detectCuda(): Promise<Accelerator[]> {
  const out = await probe('nvidia-smi', [
    '--query-gpu=name,driver_version',
    '--format=csv,noheader',
  ]);
  if (!out) return [];
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const comma = line.lastIndexOf(',');
      const name = (comma === -1 ? line : line.slice(0, comma)).trim().slice(0, 256);
      const driver =
        comma === -1
          ? undefined
          : line
              .slice(comma + 1)
              .trim()
              .slice(0, 64);
      return { kind: 'cuda' as const, name, ...(driver ? { driver } : {}) };
    })
    .slice(0, 8);
}

/** Apple silicon always has a Metal GPU; its name is the chip's. */
async function detectMetal(): Promise<Accelerator[]> {
  const brand = (await probe('sysctl', ['-n', 'machdep.cpu.brand_string']))?.trim();
  return [{ kind: 'metal', ...(brand ? { name: brand.slice(0, 256) } : {}) }];
}

/**
 * What this hive is, as `hello` reports it: os and arch in the catalog's words, the
 * accelerators a worker build could use, and the host name.
 * @example await detectPlatform() // { os: 'linux', arch: 'x86_64', accelerators: [], hostname: 'hive-1' }
 */
export async function detectPlatform(): Promise<PlatformInfo> {
  const os = osNames[osPlatform()];
  const arch = archNames[osArch()];
  if (!os || !arch) {
    throw new UnsupportedPlatformError(
      `Cannot run the agent on ${osPlatform()}/${osArch()}: hives are linux, macos or windows on x86_64 or aarch64`,
    );
  }
  const accelerators =
    os === 'macos' && arch === 'aarch64'
      ? await detectMetal()
      : os === 'macos'
        ? []
        : await detectCuda();
  return { os, arch, accelerators, hostname: hostname().slice(0, 256) };
}
