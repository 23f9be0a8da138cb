import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkDependencies, dependencyName } from '../../../agent/install/dependencies.ts';
import { sweepWorkspaces } from '../../../agent/install/workspace.ts';
import { ProbeError } from '../../../agent/probe/probe-error.ts';
import { UsageError } from '../../../cli/command.ts';
import { defaultInstallRoot, parseDuration } from '../../../cli/commands/agent.ts';
import { seedEntries } from '../../../edge/catalog/entries.ts';
import { incompatibilities } from '../../../shared/catalog/compatibility.ts';
import { tempDir } from '../../support/edge-process.ts';

const entry = (id: string) => seedEntries.find((e) => e.id === id)!;

describe('incompatibilities (shared by the agent platform step and GET /workers?hive=)', () => {
  test('the cuda worker runs on linux x86_64 with an NVIDIA GPU that reports its driver', () => {
    const gpu = { kind: 'cuda', name: 'NVIDIA L4', driver: '550.54' };
    expect(
      incompatibilities(entry('llm-worker-rbee-cuda'), {
        os: 'linux',
        arch: 'x86_64',
        accelerators: [gpu],
      }),
    ).toEqual([]);
    expect(
      incompatibilities(entry('llm-worker-rbee-cuda'), {
        os: 'linux',
        arch: 'x86_64',
        accelerators: [{ kind: 'cuda', name: 'NVIDIA L4' }],
      }),
    ).toEqual([
      {
        code: 'NO_CUDA',
        message:
          'llm-worker-rbee-cuda needs CUDA: the NVIDIA GPU on this hive reports no driver version',
      },
    ]);
  });

  test('the metal worker runs only on macOS on Apple silicon', () => {
    const mac = { os: 'macos', arch: 'aarch64', accelerators: [{ kind: 'metal' }] };
    expect(incompatibilities(entry('llm-worker-rbee-metal'), mac)).toEqual([]);
    expect(
      incompatibilities(entry('llm-worker-rbee-metal'), {
        ...mac,
        arch: 'x86_64',
        accelerators: [],
      }),
    ).toEqual([
      {
        code: 'ARCH',
        message: 'llm-worker-rbee-metal is built for aarch64, not x86_64',
      },
      {
        code: 'NO_METAL',
        message:
          'llm-worker-rbee-metal needs Metal: macOS on Apple silicon, and this hive is macos/x86_64',
      },
    ]);
  });

  test('a hive that never reported its platform can run nothing, and says why', () => {
    expect(incompatibilities(entry('rbee-hello-worker'), null)).toEqual([
      {
        code: 'NO_PLATFORM',
        message: 'the hive has not reported its platform yet (it never connected)',
      },
    ]);
    expect(
      incompatibilities(entry('rbee-hello-worker'), {
        os: 'windows',
        arch: 'x86_64',
        accelerators: [],
      }),
    ).toEqual([{ code: 'OS', message: 'rbee-hello-worker runs on linux, macos, not windows' }]);
  });
});

describe('checkDependencies on this machine', () => {
  test('a command on PATH, a library ldconfig knows, a dpkg package, and a missing one', async () => {
    const checks = await checkDependencies(['bash>=5', 'c', 'libc6', 'rbee-no-such-thing']);
    expect(checks).toEqual([
      { name: 'bash>=5', found: 'command' },
      { name: 'c', found: 'library' },
      { name: 'libc6', found: 'dpkg' },
      { name: 'rbee-no-such-thing', found: null },
    ]);
  });

  test('a package tool on the given PATH answers: exit code 0 is found', async () => {
    const bin = tempDir('deps-bin');
    writeFileSync(
      join(bin, 'pacman'),
      '#!/bin/bash\n[ "$1 $2" = "-T rbee-fake-dep" ] && exit 0; echo "$2"; exit 127\n',
      { mode: 0o755 },
    );
    const path = `${bin}:/usr/bin:/bin`;
    expect(await checkDependencies(['rbee-fake-dep', 'rbee-no-such-thing'], { path })).toEqual([
      { name: 'rbee-fake-dep', found: 'pacman' },
      { name: 'rbee-no-such-thing', found: null },
    ]);
  });

  test('a package tool that cannot answer in timeoutMs fails the check with a ProbeError', async () => {
    const bin = tempDir('deps-hang');
    writeFileSync(join(bin, 'pacman'), '#!/bin/bash\nexec sleep 30\n', { mode: 0o755 });
    const error = await checkDependencies(['rbee-no-such-thing'], {
      path: `${bin}:/usr/bin:/bin`,
      timeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeError);
    expect((error as ProbeError).timedOut).toBe(true);
    expect((error as ProbeError).command).toBe('pacman -T rbee-no-such-thing');
    expect((error as ProbeError).shortMessage).toBe(
      'Command timed out after 300 milliseconds: pacman -T rbee-no-such-thing',
    );
  });

  test('version constraints are cut off the name', () => {
    expect(dependencyName('glibc>=2.31')).toBe('glibc');
    expect(dependencyName('cuda=12.4')).toBe('cuda');
    expect(dependencyName('gcc<14')).toBe('gcc');
  });
});

describe('kept workspaces of failed jobs', () => {
  test('removed once their mark is as old as the keep time, not before; unmarked ones never', async () => {
    const work = tempDir('work');
    const now = Date.now();
    for (const [name, ageMs] of [
      ['job_old', 60_000],
      ['job_young', 59_000],
    ] as const) {
      mkdirSync(join(work, name));
      writeFileSync(join(work, name, '.rbee-failed'), '');
      const at = (now - ageMs) / 1000;
      utimesSync(join(work, name, '.rbee-failed'), at, at);
    }
    mkdirSync(join(work, 'job_running'));
    const removed = await sweepWorkspaces(join(work, 'job_new'), 60_000, '.rbee-failed', now);
    expect(removed).toEqual([join(work, 'job_old')]);
    expect(await sweepWorkspaces(join(work, 'job_new'), 0, '.rbee-failed', now)).toEqual([
      join(work, 'job_young'),
    ]);
  });
});

describe('rbee agent flags', () => {
  test('--keep-failed-workspace durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('0')).toBe(0);
    expect(() => parseDuration('1 week')).toThrow(UsageError);
    expect(() => parseDuration('-1h')).toThrow(
      '--keep-failed-workspace must be a duration like 90s, 30m, 24h or 7d, got "-1h"',
    );
  });

  test('--install-root defaults to / for root', () => {
    expect(process.getuid?.()).toBe(0);
    expect(defaultInstallRoot()).toBe('/');
  });
});
