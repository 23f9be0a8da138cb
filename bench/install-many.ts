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
import { registerBuilderKey } from '../agent/package/builder-key.ts';
import { signCatalog } from '../cli/commands/catalog-sign.ts';
import { startEdge } from '../edge/node/start-edge.ts';
import { generateKeyPair, readPrivateKey, readPublicKey } from '../shared/catalog/signature.ts';
import { signBuilderSet } from '../shared/repo/build-record.ts';
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
function cpuSplit(): { own: number; children: number } {
  const own = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat (cutime, cstime) are at 13 and 14 after the name.
  const children = (Number(fields[13]) + Number(fields[14])) / TICK;
  return { own: (own.user + own.system) / 1e6, children };
}
const cpuSeconds = () => {
  const { own, children } = cpuSplit();
  return own + children;
};

const base = join('/tmp', `rbee-bench-install-many-${process.pid}`);
mkdirSync(base, { recursive: true, mode: 0o755 });
// The signed path, as a fleet runs it: the catalog signed with a fleet key the hives trust,
// one builder whose key is in the builder set the same key signed.
const fleetPair = await generateKeyPair();
const fleetKey = await readPrivateKey(fleetPair.privatePem);
const trusted = [await readPublicKey(fleetPair.publicPem)];
await signCatalog(join(repoRoot, 'bench', 'catalog'), fleetKey, {
  out: join(base, 'statements'),
  skip: () => {},
});
const edge = await startEdge(
  {
    port: 0,
    host: '127.0.0.1',
    dataDir: join(base, 'edge'),
    catalogDir: join(repoRoot, 'bench', 'catalog'),
    statementsDir: join(base, 'statements'),
    options: {},
  },
  { RBEE_ADMIN_TOKEN: ADMIN },
);
const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${edge.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
};
/** One hive record per simulated hive, as a fleet has. */
const hives: { id: string; token: string }[] = [];
for (let i = 0; i < HIVES; i++) {
  const { id, token } = (await admin('POST', '/api/hives', { name: `bench-hive-${i}` })) as {
    id: string;
    token: string;
  };
  hives.push({ id, token });
}
const stateOf = (run: string, hive: number) => join(base, run, `hive-${hive}`);

/** Hive 0 of the cached run is the builder: its key registered, the set signed. */
async function makeBuilder(run: string) {
  const state = stateOf(run, 0);
  mkdirSync(state, { recursive: true, mode: 0o755 });
  await admin('POST', `/api/hives/${hives[0]!.id}/builder`, { builder: true });
  await registerBuilderKey(createEdgeHttp({ base: edge.url, token: hives[0]!.token }), state);
  const { builders } = (await admin('GET', '/api/builders')) as {
    builders: { hive: string; name: string; key_id: string; public_key: string }[];
  };
  const entries = builders.map(({ hive, name, key_id, public_key }) => ({
    hive,
    name,
    key_id,
    public_key,
  }));
  await admin('POST', '/api/builders/signed', await signBuilderSet(entries, fleetKey, Date.now()));
}

let jobs = 0;
const STEPS = process.argv.includes('--steps');
/** Installs from the cache, records verified, and CPU seconds the sandboxed builds reported. */
const tally = { fromCache: 0, verified: 0, sandboxed: 0 };
let timesLines = 0;

/** A line of bash's `times`: `0m1.234s 0m0.056s` (user, system) in seconds. */
function bashTimes(text: string): number {
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(text.trim());
  if (!m) throw new Error(`not a line of bash's times: ${text}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}
/** One hive installing the worker: its own state dir, the real pipeline. */
async function hiveInstalls(run: string, hive: number, build: BuildMode | undefined) {
  const state = stateOf(run, hive);
  mkdirSync(state, { recursive: true, mode: 0o755 });
  const { id: hiveId, token } = hives[hive]!;
  const pipeline = createInstallPipeline({
    stateDir: state,
    platform: { os: 'linux', arch: 'x86_64', accelerators: [] },
    runBuild,
    deps: 'skip',
    verify: { keys: trusted, allowUnsigned: false, hive: () => hiveId },
  });
  const id = `job_bench${String(++jobs).padStart(8, '0')}`;
  const started: string[] = [];
  const stepCpu = new Map<string, number>();
  const result = await pipeline(
    {
      id,
      kind: 'install',
      worker: WORKER,
      hive: hiveId,
      expires_at: Date.now() + 3_600_000,
      ...(build ? { build } : {}),
    },
    {
      emitLine: (line) => {
        if (line.text.startsWith('installed from cache:')) tally.fromCache++;
        if (line.text.startsWith('build record signed by builder')) tally.verified++;
        if (line.text.startsWith('rbee-bench-cpu')) timesLines = 2;
        else if (timesLines > 0) {
          timesLines--;
          tally.sandboxed += bashTimes(line.text);
        }
      },
      emitStep: (s) => {
        if (s.phase === 'start') started.push(s.step);
        if (!STEPS) return;
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
  if (STEPS) console.log(run, hive, [...stepCpu].map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' '));
  return started.includes('build');
}

async function fleet(run: string, build: BuildMode | undefined, afterFirst?: () => Promise<void>) {
  const cpu0 = cpuSplit();
  const t0 = performance.now();
  let builds = 0;
  tally.fromCache = 0;
  tally.verified = 0;
  tally.sandboxed = 0;
  for (let hive = 0; hive < HIVES; hive++) {
    if (await hiveInstalls(run, hive, build)) builds++;
    if (hive === 0) await afterFirst?.();
  }
  const cpu1 = cpuSplit();
  const own = cpu1.own - cpu0.own;
  const children = cpu1.children - cpu0.children;
  if (builds > 0 && tally.sandboxed === 0)
    throw new Error('the builds reported no CPU time: is the rbee-bench-cpu line gone?');
  return {
    seconds: (performance.now() - t0) / 1000,
    cpu: own + children + tally.sandboxed,
    own,
    children,
    builds,
    ...tally,
  };
}

const uncached = await fleet('uncached', undefined);
// `--profile FILE`: a V8 CPU profile of this process during the cached run's installs from the
// cache (after the builder's), for chrome://inspect or any .cpuprofile viewer.
const profileTo = process.argv.includes('--profile')
  ? process.argv[process.argv.indexOf('--profile') + 1]
  : undefined;
const session = profileTo ? new Session() : undefined;
await makeBuilder('cached');
const cached = await fleet('cached', 'if-missing', async () => {
  if (!session) return;
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
});
if (session && profileTo) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileTo, JSON.stringify(profile));
}
await edge.close();
execFileSync('rm', ['-rf', base]);

// The cached run must be what it claims: one build, every other hive from the cache, verified.
if (cached.builds !== 1 || cached.fromCache !== HIVES - 1 || cached.verified !== HIVES - 1)
  throw new Error(`the cached run is not build-once: ${JSON.stringify(cached)}`);
const row = (name: string, r: typeof uncached) =>
  `${name.padEnd(34)} ${r.seconds.toFixed(1).padStart(8)} s ${r.cpu.toFixed(2).padStart(9)} CPU-s (agent+edge ${r.own.toFixed(2)}, children ${r.children.toFixed(2)}, sandboxed builds ${r.sandboxed.toFixed(2)}) ${String(r.builds).padStart(3)} builds`;
console.log(
  `install ${WORKER} on ${HIVES} hives of one platform (linux/x86_64, cpu), one after another`,
);
console.log(row('baseline: every hive builds', uncached));
console.log(row('package cache (build: if-missing)', cached));
console.log(
  `one build: ${(uncached.cpu / HIVES).toFixed(2)} CPU-s per hive without the cache (${(uncached.sandboxed / HIVES).toFixed(2)} of it gcc in the sandbox); one install from the cache: ${((cached.cpu - uncached.cpu / HIVES) / (HIVES - 1)).toFixed(2)} CPU-s`,
);
console.log(
  `${cached.fromCache} hives installed from the cache, each build record verified against the builder set signed by the fleet key`,
);
console.log(
  `cached/uncached: time ${(cached.seconds / uncached.seconds).toFixed(3)}, CPU ${(cached.cpu / uncached.cpu).toFixed(3)} (target CPU < 0.100)`,
);
