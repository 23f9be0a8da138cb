import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { detectCuda, detectPlatform } from '../../../agent/platform/detect-platform.ts';
import type { ProbeResult } from '../../../agent/probe/probe.ts';
import { platformInfoSchema } from '../../../shared/protocol/index.ts';

/** Whether a command exists on this machine. */
const has = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('detectPlatform on this machine', () => {
  test("reports os, arch and host name in the catalog's words, valid for hello", async () => {
    const platform = await detectPlatform();
    expect(platformInfoSchema.parse(platform)).toEqual(platform);
    const expectedOs = { linux: 'linux', darwin: 'macos', win32: 'windows' }[
      process.platform as string
    ];
    const expectedArch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch as string];
    expect(platform.os).toBe(expectedOs);
    expect(platform.arch).toBe(expectedArch);
    expect(platform.hostname).toBe(hostname());
  });

  test('lists CUDA GPUs exactly when nvidia-smi lists them', async () => {
    const platform = await detectPlatform();
    if (process.platform === 'darwin') return;
    const cuda = platform.accelerators.filter((a) => a.kind === 'cuda');
    if (!has('nvidia-smi')) {
      expect(platform.accelerators).toEqual([]);
      return;
    }
    const gpus = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'])
      .toString()
      .trim()
      .split('\n')
      .map((n) => n.trim());
    expect(cuda.map((a) => a.name)).toEqual(gpus);
  });
});

describe('detectCuda with a stand-in nvidia-smi (a real script on PATH)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rbee-cuda-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A folder holding only `nvidia-smi` with this body; PATH is that folder, then /usr/bin:/bin. */
  async function withNvidiaSmi(name: string, body: string | undefined): Promise<NodeJS.ProcessEnv> {
    const bin = join(dir, name);
    await mkdir(bin);
    if (body !== undefined) {
      await writeFile(join(bin, 'nvidia-smi'), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    }
    return { PATH: `${bin}:/usr/bin:/bin` };
  }

  test('one accelerator per GPU line, with its driver version', async () => {
    const env = await withNvidiaSmi(
      'two-gpus',
      'printf "NVIDIA A100-SXM4-80GB, 535.104.05\\nNVIDIA H100 PCIe, 550.54.15\\n"',
    );
    const failures: ProbeResult[] = [];
    expect(await detectCuda({ env, onProbeFailure: (r) => failures.push(r) })).toEqual([
      { kind: 'cuda', name: 'NVIDIA A100-SXM4-80GB', driver: '535.104.05' },
      { kind: 'cuda', name: 'NVIDIA H100 PCIe', driver: '550.54.15' },
    ]);
    expect(failures).toEqual([]);
  });

  test('an nvidia-smi that fails means no CUDA, and the failure is reported with exit code and stderr', async () => {
    const env = await withNvidiaSmi(
      'broken-driver',
      'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2; exit 9',
    );
    const failures: ProbeResult[] = [];
    expect(await detectCuda({ env, onProbeFailure: (r) => failures.push(r) })).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.exitCode).toBe(9);
    expect(failures[0]!.stderr).toBe(
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    );
    expect(failures[0]!.command).toBe(
      'nvidia-smi --query-gpu=name,driver_version --format=csv,noheader',
    );
  });

  test('an nvidia-smi that hangs past timeoutMs is reported as timed out', async () => {
    const env = await withNvidiaSmi('hangs', 'exec sleep 30');
    const failures: ProbeResult[] = [];
    expect(
      await detectCuda({ env, timeoutMs: 300, onProbeFailure: (r) => failures.push(r) }),
    ).toEqual([]);
    expect(failures.map((r) => r.timedOut)).toEqual([true]);
  });

  test('no nvidia-smi installed means no CUDA, and is not a failure', async () => {
    const env = await withNvidiaSmi('absent', undefined);
    const failures: ProbeResult[] = [];
    expect(await detectCuda({ env, onProbeFailure: (r) => failures.push(r) })).toEqual([]);
    expect(failures).toEqual([]);
  });
});
