import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, test } from 'vitest';
import { detectPlatform } from '../../../agent/platform/detect-platform.ts';
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
