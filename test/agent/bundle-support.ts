import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { denoBin, repoRoot, startListening, tempDir } from '../support/edge-process.ts';
import { fixtureCatalog } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';

/** Builds the agent bundle with scripts/build-agent.mjs into a fresh folder; returns its path. */
export function buildBundle(version: string, dir = tempDir('bundle')): string {
  const out = join(dir, 'rbee-agent.mjs');
  const r = spawnSync(
    process.execPath,
    ['scripts/build-agent.mjs', '--out', out, '--version', version],
    { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`build-agent failed: ${r.stderr}${r.stdout}`);
  return out;
}

/** A folder with nothing but the bundle in it: no node_modules anywhere up its path. */
export function lonelyCopy(bundle: string): { dir: string; file: string } {
  const dir = tempDir('hive');
  chmodSync(dir, 0o711);
  const file = join(dir, 'rbee-agent.mjs');
  copyFileSync(bundle, file);
  return { dir, file };
}

/** Environment of a hive: no NODE_PATH, no tsx hook, no token lying around. */
export function hiveEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
  return { ...env, ...extra };
}

/** `rbee edge` serving `bundle` as its agent, with the test catalog and admin token. */
export function startBundleEdge(bundle: string, env: NodeJS.ProcessEnv = {}) {
  return startListening(
    process.execPath,
    [
      '--import',
      'tsx',
      'cli/rbee.ts',
      'edge',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      tempDir('bundle-edge'),
      '--catalog',
      fixtureCatalog,
    ],
    { RBEE_ADMIN_TOKEN: ADMIN, RBEE_AGENT_BUNDLE: bundle, ...env },
  );
}

export type Ran = { status: number | null; stdout: string; stderr: string };

/** Runs the bundle once to its end with plain node (or deno), from its lonely folder. */
export function runBundle(
  file: string,
  args: string[],
  options: { runtime?: 'node' | 'deno'; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Ran> {
  const [cmd, pre] =
    options.runtime === 'deno' ? [denoBin, ['run', '-A', '--quiet']] : [process.execPath, []];
  return new Promise((resolve) => {
    const child = spawn(cmd, [...pre, file, ...args], {
      cwd: join(file, '..'),
      env: hiveEnv(options.env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export type Daemon = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
};

/** Starts the bundle as a long-running agent (`run ...`), with plain node. */
export function startBundleAgent(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Daemon {
  const child = spawn(process.execPath, [file, 'run', ...args], {
    cwd: join(file, '..'),
    env: hiveEnv(env),
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export const stateIn = (dir: string, name: string) => {
  const state = join(dir, name);
  mkdirSync(state, { mode: 0o711 });
  chmodSync(state, 0o711);
  return state;
};
