import { hostname, arch as osArch, platform as osPlatform } from 'node:os';
import type { PlatformInfo } from '../../shared/protocol/index.ts';
import { commandMissing, failureSummary, type ProbeResult, probe } from '../probe/probe.ts';

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

/** How platform detection runs its probes (`nvidia-smi`, `sysctl`). */
export type PlatformProbeOptions = {
  /** The environment the probes run in (default process.env): its PATH finds the tools. */
  env?: NodeJS.ProcessEnv;
  /** Per probe (default 5 s). */
  timeoutMs?: number;
  /**
   * Told about a tool that is installed but failed (a broken NVIDIA driver, a timeout): the
   * platform is then reported without what that tool would have found. Default: one line on
   * stderr.
   */
  onProbeFailure?: (result: ProbeResult) => void;
};

const PROBE_TIMEOUT_MS = 5_000;

function reportFailure(result: ProbeResult): void {
  process.stderr.write(`rbee agent: ${failureSummary(result)}\n`);
}

/**
 * Runs a platform probe: stdout when it succeeded, undefined when the tool is not installed
 * (legitimately absent) or failed (reported to onProbeFailure, so it is not silent).
 */
async function probeTool(
  command: string,
  args: string[],
  options: PlatformProbeOptions,
): Promise<string | undefined> {
  const result = await probe(command, args, {
    timeoutMs: options.timeoutMs ?? PROBE_TIMEOUT_MS,
    ...(options.env ? { env: options.env } : {}),
  });
  if (!result.failed) return result.stdout;
  if (!commandMissing(result)) (options.onProbeFailure ?? reportFailure)(result);
  return undefined;
}

/** NVIDIA GPUs, as `nvidia-smi` lists them: one accelerator per GPU with its driver version. */
export async function detectCuda(options: PlatformProbeOptions = {}): Promise<Accelerator[]> {
  const out = await probeTool(
    'nvidia-smi',
    ['--query-gpu=name,driver_version', '--format=csv,noheader'],
    options,
  );
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
async function detectMetal(options: PlatformProbeOptions): Promise<Accelerator[]> {
  const brand = (await probeTool('sysctl', ['-n', 'machdep.cpu.brand_string'], options))?.trim();
  return [{ kind: 'metal', ...(brand ? { name: brand.slice(0, 256) } : {}) }];
}

/**
 * What this hive is, as `hello` reports it: os and arch in the catalog's words, the
 * accelerators a worker build could use, and the host name.
 * @example await detectPlatform() // { os: 'linux', arch: 'x86_64', accelerators: [], hostname: 'hive-1' }
 */
export async function detectPlatform(options: PlatformProbeOptions = {}): Promise<PlatformInfo> {
  const os = osNames[osPlatform()];
  const arch = archNames[osArch()];
  if (!os || !arch) {
    throw new UnsupportedPlatformError(
      `Cannot run the agent on ${osPlatform()}/${osArch()}: hives are linux, macos or windows on x86_64 or aarch64`,
    );
  }
  const accelerators =
    os === 'macos' && arch === 'aarch64'
      ? await detectMetal(options)
      : os === 'macos'
        ? []
        : await detectCuda(options);
  return { os, arch, accelerators, hostname: hostname().slice(0, 256) };
}
