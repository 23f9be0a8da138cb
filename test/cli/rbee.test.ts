import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { denoBin, repoRoot, tsxBin } from '../support/edge-process.ts';

const rbee = (...args: string[]) =>
  spawnSync(tsxBin, ['cli/rbee.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });

describe('rbee CLI', () => {
  it('rbee --help lists the subcommands and exits 0', () => {
    const r = rbee('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: rbee <command>/);
    expect(r.stdout).toMatch(/\n {2}edge {2,}run the edge/);
    expect(r.stdout).toMatch(/\n {2}start {2,}the main job/);
  });

  it('rbee with no command prints the help to stderr and exits 2', () => {
    const r = rbee();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: rbee <command>/);
  });

  it('an unknown command says how to list the commands', () => {
    const r = rbee('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("rbee: 'frobnicate' is not a command. Run 'rbee --help' for the list.\n");
  });

  it('rbee edge --help shows its options', () => {
    const r = rbee('edge', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: rbee edge \[--port 8787\]/);
    expect(r.stdout).toContain('--data DIR');
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got "abc"'],
    [['--port', '70000'], '--port must be an integer from 0 to 65535, got "70000"'],
    [['--port'], '--port needs a value'],
    [['--verbose'], 'unknown option "--verbose"'],
  ])('rbee edge %j is refused with a message naming the rule', (args, message) => {
    const r = rbee('edge', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`rbee edge: ${message}\nRun 'rbee edge --help' for usage.\n`);
  });

  it('deno task edge refuses a bad flag the same way', () => {
    const r = spawnSync(denoBin, ['task', '-q', 'edge', '--port', 'abc'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'deno task edge: --port must be an integer from 0 to 65535, got "abc"',
    );
  });
});
