import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { type EdgeProcess, NODE_TS, repoRoot, startListening, tempDir } from './edge-process.ts';
import { ADMIN } from './in-process-edge.ts';
import { readSse, type SseEvent } from './sse.ts';

export const fixtureCatalog = join(repoRoot, 'test', 'fixtures', 'catalog');

/** `rbee edge` as its own process, with the test catalog and the suite's admin token. */
export function startEdgeProcess(args: string[] = [], dataDir = tempDir('e2e-edge')) {
  return startListening(
    process.execPath,
    [
      ...NODE_TS,
      'cli/rbee.ts',
      'edge',
      '--host',
      '127.0.0.1',
      '--data',
      dataDir,
      '--catalog',
      fixtureCatalog,
      ...(args.includes('--port') ? [] : ['--port', '0']),
      ...args,
    ],
    { RBEE_ADMIN_TOKEN: ADMIN },
  );
}

/** An admin API client for an edge URL. */
export function adminApi(url: () => string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
    const json: Record<string, any> = text ? JSON.parse(text) : {};
    return { status: res.status, body: json };
  };
}

export type AgentProcess = {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
};

/**
 * `rbee agent` as its own process. Its state dir is traversable by the unprivileged build user;
 * workers install into `<state>/root` (never the test machine's `/`) unless `extraArgs` say.
 */
export function startAgentProcess(
  edgeUrl: string,
  token: string,
  stateDir = tempDir('e2e-agent'),
  extraArgs: string[] = [],
): AgentProcess {
  chmodSync(stateDir, 0o755);
  const child = spawn(
    process.execPath,
    [
      ...NODE_TS,
      'cli/rbee.ts',
      'agent',
      '--edge',
      edgeUrl,
      '--token',
      token,
      '--state',
      stateDir,
      '--backoff-cap',
      '300',
      ...(extraArgs.includes('--install-root') ? [] : ['--install-root', join(stateDir, 'root')]),
      // The suites' catalogs are unsigned; test/security/trust.test.ts runs the signed path.
      ...(extraArgs.includes('--trust-key') ? [] : ['--allow-unsigned']),
      ...extraArgs,
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Follows a job's SSE log from the start until its end event. */
export function followJob(url: string, job: string): Promise<SseEvent[]> {
  return readSse(
    `${url}/api/jobs/${job}/logs`,
    { Authorization: `Bearer ${ADMIN}` },
    (e) => e.event === 'end',
  );
}

export type { EdgeProcess };

/** The steps an install of the demo worker reports, in order (the install pipeline's). */
export const DEMO_INSTALL_STEPS = [
  'catalog',
  'platform',
  'fetch',
  'verify',
  'parse',
  'dependencies',
  'workspace',
  'metadata',
  'sources',
  'checksums',
  'extract',
  'build',
  'check',
  'package',
  'tidy',
  'install',
  'capabilities',
  'cleanup',
];

/**
 * The same through an edge (jobs carry `build: auto`): the cache key is looked up, and after a
 * build on a miss the package is archived and uploaded (agent/package).
 */
export const DEMO_INSTALL_STEPS_WITH_CACHE = [
  ...DEMO_INSTALL_STEPS.slice(0, DEMO_INSTALL_STEPS.indexOf('workspace') + 1),
  'cache',
  ...DEMO_INSTALL_STEPS.slice(
    DEMO_INSTALL_STEPS.indexOf('workspace') + 1,
    DEMO_INSTALL_STEPS.indexOf('install'),
  ),
  'archive',
  'upload',
  ...DEMO_INSTALL_STEPS.slice(DEMO_INSTALL_STEPS.indexOf('install')),
];
