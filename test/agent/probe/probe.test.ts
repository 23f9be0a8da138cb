import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commandMissing, probe, probeOutput } from '../../../agent/probe/probe.ts';
import { ProbeError } from '../../../agent/probe/probe-error.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rbee-probe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probe', () => {
  test('keeps the exit code, stdout and stderr of a command that fails', async () => {
    const res = await probe('bash', ['-c', 'echo out; echo "no such ref" >&2; exit 3']);
    expect(res.failed).toBe(true);
    expect(res.exitCode).toBe(3);
    expect(res.stdout).toBe('out');
    expect(res.stderr).toBe('no such ref');
    expect(res.command).toBe('bash -c echo out; echo "no such ref" >&2; exit 3');
    expect(res.timedOut).toBe(false);
    expect(commandMissing(res)).toBe(false);
  });

  test('a command that succeeds has exit code 0 and its output', async () => {
    const res = await probe('bash', ['-c', 'printf "a\\nb\\n"; echo warn >&2']);
    expect(res.failed).toBe(false);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe('a\nb');
    expect(res.stderr).toBe('warn');
  });

  test('a command that is not installed is reported as missing, not as a failed run', async () => {
    const res = await probe('rbee-no-such-command', ['--version']);
    expect(res.failed).toBe(true);
    expect(res.exitCode).toBeUndefined();
    expect(commandMissing(res)).toBe(true);
  });

  test('a command that outlives timeoutMs is ended and marked timedOut', async () => {
    const res = await probe('sleep', ['30'], { timeoutMs: 200, graceMs: 100 });
    expect(res.failed).toBe(true);
    expect(res.timedOut).toBe(true);
    expect(res.exitCode).toBeUndefined();
    expect(res.signal).toBe('SIGTERM');
    expect(res.shortMessage).toBe('Command timed out after 200 milliseconds: sleep 30');
  });

  test('output over maxBuffer fails the probe with isMaxBuffer', async () => {
    const res = await probe('bash', ['-c', 'head -c 5000 /dev/zero | tr "\\0" x'], {
      maxBuffer: 1000,
    });
    expect(res.failed).toBe(true);
    expect(res.isMaxBuffer).toBe(true);
  });

  test('an aborted signal ends the probe and marks it isCanceled', async () => {
    const controller = new AbortController();
    const running = probe('sleep', ['30'], { signal: controller.signal, graceMs: 100 });
    controller.abort();
    const res = await running;
    expect(res.failed).toBe(true);
    expect(res.isCanceled).toBe(true);
  });

  test('runs with exactly the environment and folder it is given', async () => {
    const res = await probe(
      'bash',
      ['-c', 'echo "$RBEE_PROBE:$(printenv HOME || echo unset):$PWD"'],
      {
        env: { PATH: process.env.PATH, RBEE_PROBE: 'yes' },
        cwd: dir,
      },
    );
    expect(res.stdout).toBe(`yes:unset:${dir}`);
  });
});

describe('probeOutput', () => {
  test('resolves with stdout trimmed', async () => {
    await writeFile(join(dir, 'f'), '  value  \n');
    expect(await probeOutput('cat', ['f'], { cwd: dir })).toBe('value');
  });

  test('rejects with a ProbeError carrying command, exit code and stderr', async () => {
    const error = await probeOutput('bash', [
      '-c',
      'echo "fatal: not a git repository" >&2; exit 128',
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProbeError);
    const probeError = error as ProbeError;
    expect(probeError.exitCode).toBe(128);
    expect(probeError.stderr).toBe('fatal: not a git repository');
    expect(probeError.command).toBe('bash -c echo "fatal: not a git repository" >&2; exit 128');
    expect(probeError.shortMessage).toBe(
      `Command failed with exit code 128: bash -c 'echo "fatal: not a git repository" >&2; exit 128'`,
    );
    expect(probeError.message).toBe(`${probeError.shortMessage}\nfatal: not a git repository`);
  });

  test('rejects with a ProbeError when the command is missing', async () => {
    const error = (await probeOutput('rbee-no-such-command', []).catch(
      (e: unknown) => e,
    )) as ProbeError;
    expect(error).toBeInstanceOf(ProbeError);
    expect(error.exitCode).toBeUndefined();
    expect(error.shortMessage).toMatch(/^Command failed with ENOENT: rbee-no-such-command/);
  });
});
