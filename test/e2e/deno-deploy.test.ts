import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { denoBin, repoRoot, tempDir } from '../support/edge-process.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import type { RawAgent } from '../support/raw-agent.ts';
import {
  contestedAcrossInstances,
  holderGoneAcrossInstances,
  jobAcrossInstances,
  replacedAcrossInstances,
  rolloutAcrossInstances,
} from './multi-instance-cases.ts';

/**
 * The Deno Deploy entry under real Deno (`deno task deploy-check`): two edge instances in one
 * process, each in its own isolate (a Worker), on one KV file and one BroadcastChannel, as
 * Deploy runs two isolates.
 */
let child: ChildProcess;
const urls = new Map<string, string>();
const agents: RawAgent[] = [];

beforeAll(async () => {
  child = spawn(denoBin, ['task', '-q', 'deploy-check', `${tempDir('deploy')}/edge.kv`], {
    cwd: repoRoot,
    env: { ...process.env, RBEE_ADMIN_TOKEN: ADMIN, RBEE_HEARTBEAT_MS: '1000', NO_COLOR: '1' },
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(/instance (\S+) listening on (http:\/\/\S+)/g))
        urls.set(m[1]!, m[2]!);
      if (urls.size === 2) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    // What the isolates log (a store error, a refused frame) shows with the test's output.
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`deploy-check: ${chunk}`));
    child.once('exit', (code) => reject(new Error(`deploy-check exited with ${code}:\n${out}`)));
  });
}, 180_000);

afterAll(async () => {
  for (const agent of agents) agent.ws.terminate();
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
});

/** Ends the isolate `id` at once, as Deploy does (`worker.terminate()`: no close, no goodbye). */
async function killIsolate(id: string) {
  const killed = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes(`instance ${id} killed`)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
  });
  child.stdin!.write(`kill ${id}\n`);
  await killed;
}

const a = () => ({ url: urls.get('deploy-a')!, instance: 'deploy-a' });
const b = () => ({ url: urls.get('deploy-b')!, instance: 'deploy-b' });

describe('the Deno Deploy entry: two instances on one Deno KV and one BroadcastChannel', () => {
  it(
    'a job posted on B reaches the agent on A; its log followed live on B arrives whole',
    () => jobAcrossInstances(a(), b(), agents),
    120_000,
  );

  it(
    'the same token on B takes over: A closes its socket with REPLACED, jobs go to B',
    () => replacedAcrossInstances(a(), b(), agents),
    120_000,
  );

  it(
    'one contest count across instances: takeovers on A and B together mark the hive contested, its jobs held on both',
    () => contestedAcrossInstances(a(), b(), agents),
    120_000,
  );

  it(
    'a rollout over hives on A and B never has more than max_concurrency out and stops at max_errors',
    () => rolloutAcrossInstances(a(), b(), agents),
    120_000,
  );

  // Last: it ends A's isolate.
  it(
    "A's isolate ends mid-job: its lease runs out, the agent comes back on B, the job finishes whole",
    () => holderGoneAcrossInstances(a(), b(), agents, () => killIsolate('deploy-a')),
    120_000,
  );
});
