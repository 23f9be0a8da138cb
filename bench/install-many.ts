/**
 * Build once, install many: N simulated hives of one platform install the bench-compile worker
 * (a C program compiled with -O2), first each building it (no cache, as hives did before), then
 * with the package cache (the first builds and uploads, the others download and unpack). Every
 * hive is the real install pipeline and executor with its own state dir; the edge is real and in
 * this process. CPU seconds are fleet-wide: this process (edge, agents) plus every child it
 * waited for (bash, gcc, bsdtar, zstd). Run: npm run bench:install-many [-- --hives 20]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createEdgeHttp } from '../agent/connection/edge-http.ts';
import { runBuild } from '../agent/executor/index.ts';
import { createInstallPipeline } from '../agent/install/install-pipeline.ts';
import { startEdge } from '../edge/node/start-edge.ts';
import type { BuildMode } from '../shared/repo/package-record.ts';
import { repoRoot } from './support.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const HIVES = arg('hives', 20);
const WORKER = 'bench-compile';
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const ADMIN = 'rba_bench_admin_token_000000000000000000000';

/** CPU seconds of this process and of its waited-for children (Linux /proc/self/stat). */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat (cutime, cstime) are at 13 and 14 after the name.
  const children = (Number(fields[13]) + Number(fields[14])) / TICK;
  return (own.user + own.system) / 1e6 + children;
}

const base = join('/tmp', `rbee-bench-install-many-${process.pid}`);
mkdirSync(base, { recursive: true, mode: 0o755 });
const edge = await startEdge(
  {
    port: 0,
    host: '127.0.0.1',
    dataDir: join(base, 'edge'),
    catalogDir: join(repoRoot, 'bench', 'catalog'),
    options: {},
  },
  { RBEE_ADMIN_TOKEN: ADMIN },
);
const enrolled = await fetch(`${edge.url}/api/hives`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ name: 'bench-hive' }),
});
const { token } = (await enrolled.json()) as { token: string };

let jobs = 0;
/** One hive installing the worker: its own state dir, the real pipeline. */
async function hiveInstalls(run: string, hive: number, build: BuildMode | undefined) {
  const state = join(base, run, `hive-${hive}`);
  mkdirSync(state, { recursive: true, mode: 0o755 });
  const pipeline = createInstallPipeline({
    stateDir: state,
    platform: { os: 'linux', arch: 'x86_64', accelerators: [] },
    runBuild,
    deps: 'skip',
  });
  const id = `job_bench${String(++jobs).padStart(8, '0')}`;
  const started: string[] = [];
  const stepCpu = new Map<string, number>();
  const result = await pipeline(
    { id, kind: 'install', worker: WORKER, ...(build ? { build } : {}) },
    {
      emitLine: () => {},
      emitStep: (s) => {
        if (s.phase === 'start') started.push(s.step);
        if (s.phase === 'start') stepCpu.set(s.step, cpuSeconds());
        else stepCpu.set(s.step, cpuSeconds() - (stepCpu.get(s.step) ?? 0));
      },
      signal: new AbortController().signal,
      edgeHttp: createEdgeHttp({ base: edge.url, token }),
      workspace: join(state, 'work', id),
      installRoot: join(state, 'root'),
    },
  );
  if (result.outcome !== 'succeeded')
    throw new Error(`${run} hive ${hive}: ${JSON.stringify(result.error)}`);
  if (process.argv.includes('--steps'))
    console.log(run, hive, [...stepCpu].map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' '));
  return started.includes('build');
}

async function fleet(run: string, build: BuildMode | undefined) {
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  let builds = 0;
  for (let hive = 0; hive < HIVES; hive++) if (await hiveInstalls(run, hive, build)) builds++;
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds() - cpu0, builds };
}

const uncached = await fleet('uncached', undefined);
// `--profile FILE`: a V8 CPU profile of this process during the cached run (chrome://inspect).
const profileTo = process.argv.includes('--profile')
  ? process.argv[process.argv.indexOf('--profile') + 1]
  : undefined;
const session = profileTo ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const cached = await fleet('cached', 'auto');
if (session && profileTo) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileTo, JSON.stringify(profile));
}
await edge.close();
execFileSync('rm', ['-rf', base]);

const row = (name: string, r: typeof uncached) =>
  `${name.padEnd(34)} ${r.seconds.toFixed(1).padStart(8)} s ${r.cpu.toFixed(2).padStart(9)} CPU-s ${String(r.builds).padStart(4)} builds`;
console.log(
  `install ${WORKER} on ${HIVES} hives of one platform (linux/x86_64, cpu), one after another`,
);
console.log(row('baseline: every hive builds', uncached));
console.log(row('package cache (build: auto)', cached));
console.log(
  `cached/uncached: time ${(cached.seconds / uncached.seconds).toFixed(3)}, CPU ${(cached.cpu / uncached.cpu).toFixed(3)} (target CPU < 0.100)`,
);
