/**
 * bench:agents — N idle agents held by one edge process.
 * Prints the edge's RSS per connection and the time to dispatch one job to every agent and have
 * every accept back, next to a bare `ws` server doing the same in the same run (the baseline).
 * Targets: 10,000 agents at ≤ 15 KB of edge RSS each; all 10,000 accepted within 3 s.
 *   npm run bench:agents -- [--agents 10000] [--clients 2] [--instances 2 --store redis]
 * With --instances 2 (on Redis), the same fleet over two edge processes, next to one instance.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_ADMIN,
  children,
  flag,
  kb,
  pool,
  repoRoot,
  rssOf,
  sleep,
  startBenchEdge,
  startListening,
} from './support.ts';

const N = flag('agents', 10_000);
const CLIENTS = flag('clients', 2);
/** --instances 2 --store redis: also the same fleet over two edge processes on one Redis. */
const INSTANCES = flag('instances', 1);
const ADMIN = BENCH_ADMIN;
const dir = mkdtempSync(join(tmpdir(), 'rbee-bench-agents-'));
/** BENCH_PROFILE=DIR writes a CPU profile of each edge process there (one folder per edge). */
const prof = (name: string) =>
  process.env.BENCH_PROFILE
    ? ['--cpu-prof', '--cpu-prof-dir', join(process.env.BENCH_PROFILE, name)]
    : [];

type Client = { child: ChildProcess; jobs: number };

async function startClients(
  target: string | string[],
  tokens: string[],
  mode: 'edge' | 'raw',
): Promise<Client[]> {
  /** Client i connects to edge i mod the number of edges. */
  const urls = typeof target === 'string' ? [target] : target;
  const per = Math.ceil(tokens.length / CLIENTS);
  return Promise.all(
    Array.from({ length: CLIENTS }, (_, i) => {
      const file = join(dir, `tokens-${mode}-${i}.json`);
      writeFileSync(file, JSON.stringify(tokens.slice(i * per, (i + 1) * per)));
      const url = urls[i % urls.length]!;
      const child = fork(join(repoRoot, 'bench', 'agents-client.ts'), [url, file, mode], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.add(child);
      const client: Client = { child, jobs: 0 };
      return new Promise<Client>((resolve, reject) => {
        child.on('message', (m: { ready?: number; reopened?: number; jobs?: number }) => {
          if (m.reopened) phase(`client ${i}: ${m.reopened} sockets reopened before their welcome`);
          if (m.ready !== undefined) resolve(client);
          if (m.jobs !== undefined) client.jobs = m.jobs;
        });
        child.once('exit', (code) => reject(new Error(`client exited ${code}`)));
      });
    }),
  );
}

/** Progress on stderr, so a slow phase on a loaded machine shows where it is. */
const phase = (what: string) => process.stderr.write(`· ${what}\n`);
const total = (clients: Client[]) => clients.reduce((n, c) => n + c.jobs, 0);
async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

type BenchEdge = Awaited<ReturnType<typeof startBenchEdge>>;

const getJson = async <T>(url: string): Promise<T> =>
  (await (await fetch(url, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()) as T;

/**
 * The one fleet run, on one edge or several: N hives enrolled on the first edge, their agents
 * connected (client i to edge i mod the edges), then one install for the whole fleet posted to
 * the first edge, timed until every job reached its agent and every accept reached an edge.
 * `at.enrolled` runs before any agent connects, `at.connected` once the first edge sees every
 * hive online (the RSS is read there).
 */
async function fleetRun(
  edges: BenchEdge[],
  at: { enrolled?: () => Promise<void>; connected?: () => Promise<void> } = {},
) {
  const first = edges[0]!;
  const api = (path: string, body: unknown) =>
    first.post<{ token: string; job: { id: string } }>(path, body);
  const tokens = await pool(
    Array.from({ length: N }, (_, i) => i),
    64,
    (i) => enrolHive(api, `bench-${i}`),
  );
  phase(`${N} hives enrolled`);
  await at.enrolled?.();
  const clients = await startClients(
    edges.map((e) => e.url),
    tokens,
    'edge',
  );
  // With several edges, presence crosses the bus: every hive online on the first one.
  await until(
    'every hive online on the first edge',
    async () =>
      (await getJson<{ hives: { online: boolean }[] }>(`${first.url}/api/hives`)).hives.filter(
        (h) => h.online,
      ).length >= N,
    120_000,
  );
  phase(`${N} agents online on ${edges.length} edge(s)`);
  await at.connected?.();
  const start = performance.now();
  // One request for the whole fleet, as an admin would send it.
  const hives = Array.from({ length: N }, (_, i) => `bench-${i}`);
  const res = (await api('/api/installs', { hives, worker: 'rbee-hello-worker' })) as {
    jobs?: unknown[];
  };
  if (res.jobs?.length !== N)
    throw new Error(`install refused: ${JSON.stringify(res).slice(0, 300)}`);
  const created = performance.now() - start;
  await until('every job to reach its agent', () => total(clients) >= N, 120_000);
  const dispatched = performance.now() - start;
  // Every accept has reached an edge when their counters say so.
  await until(
    'every accept to reach an edge',
    async () => {
      let n = 0;
      for (const e of edges) {
        const m = await getJson<{ messages_received: Record<string, number> }>(
          `${e.url}/api/metrics`,
        );
        n += m.messages_received.accept ?? 0;
      }
      return n >= N;
    },
    120_000,
  );
  const accepted = performance.now() - start;
  for (const c of clients) c.child.send({ stop: true });
  for (const e of edges) e.child.kill('SIGTERM');
  return { created, dispatched, accepted };
}

/**
 * Enrols one hive; on a loaded machine a keep-alive connection may close under a request, so a
 * lost answer is retried, and a name already taken by the lost attempt gets a new token.
 */
async function enrolHive(
  api: (path: string, body: unknown) => Promise<{ token?: string }>,
  name: string,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await api('/api/hives', { name });
      if (created.token) return created.token;
      const rotated = await api(`/api/hives/${name}/rotate-token`, {});
      if (rotated.token) return rotated.token;
      throw new Error(`cannot enrol ${name}: ${JSON.stringify(created)}`);
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function benchEdge() {
  const edge = await startBenchEdge(join(dir, 'edge'), ['--heartbeat-ms', '600000'], prof('edge'));
  await sleep(1000);
  const idle = rssOf(edge.child.pid!);
  let enrolled = 0;
  let connected = 0;
  const times = await fleetRun([edge], {
    enrolled: async () => {
      await sleep(500);
      enrolled = rssOf(edge.child.pid!);
    },
    connected: async () => {
      await sleep(2000);
      connected = rssOf(edge.child.pid!);
    },
  });
  return { idle, enrolled, connected, perConn: (connected - enrolled) / N, ...times };
}

async function benchRaw() {
  const { url, child } = await startListening(process.execPath, [
    '--import',
    'tsx',
    'bench/raw-ws-server.ts',
  ]);
  await sleep(1000);
  const idle = rssOf(child.pid!);
  const clients = await startClients(
    url,
    Array.from({ length: N }, (_, i) => `raw-${i}`),
    'raw',
  );
  await sleep(2000);
  const connected = rssOf(child.pid!);
  const start = performance.now();
  await fetch(`${url}/broadcast`);
  await until('every job to reach its agent', () => total(clients) >= N);
  const dispatched = performance.now() - start;
  await until(
    'every accept at the raw server',
    async () => Number(await (await fetch(`${url}/accepted`)).text()) >= N,
  );
  const accepted = performance.now() - start;
  for (const c of clients) c.child.send({ stop: true });
  child.kill('SIGTERM');
  return { idle, connected, perConn: (connected - idle) / N, dispatched, accepted };
}

/**
 * The same fleet spread over INSTANCES edge processes on one Redis: the install is posted to
 * the first; the jobs for agents on the others cross the Redis bus.
 */
async function benchCluster() {
  const { startRedisServer } = await import('../test/support/redis-server.ts');
  const redis = await startRedisServer();
  try {
    const edges = await Promise.all(
      Array.from({ length: INSTANCES }, (_, i) =>
        startBenchEdge(
          join(dir, `edge-${i}`),
          ['--heartbeat-ms', '600000', '--store', redis.url, '--instance-id', `bench-${i}`],
          prof(`instance-${i}`),
        ),
      ),
    );
    return await fleetRun(edges);
  } finally {
    await redis.stop();
  }
}

console.log(`bench:agents — ${N} agents from ${CLIENTS} client processes, one edge process`);
const raw = await benchRaw();
const edge = await benchEdge();
const cluster = INSTANCES > 1 ? await benchCluster() : null;
console.log('');
console.log('                                  rbee edge        bare ws server (baseline)');
console.log(`RSS per connection                ${kb(edge.perConn).padEnd(16)} ${kb(raw.perConn)}`);
console.log(
  `RSS idle → with ${N} agents    ${kb(edge.enrolled)} → ${kb(edge.connected)}   ${kb(raw.idle)} → ${kb(raw.connected)}`,
);
console.log(
  `jobs created (POST /api/installs {hives: [${N}]})   ${(edge.created / 1000).toFixed(2)} s`,
);
console.log(
  `every job received by its agent  ${(edge.dispatched / 1000).toFixed(2)} s         ${(raw.dispatched / 1000).toFixed(2)} s (one broadcast)`,
);
console.log(
  `every accept received by the edge ${(edge.accepted / 1000).toFixed(2)} s         ${(raw.accepted / 1000).toFixed(2)} s`,
);
if (cluster) {
  console.log('');
  console.log(`${INSTANCES} edge processes on one Redis (install posted to the first):`);
  console.log(`jobs created                      ${(cluster.created / 1000).toFixed(2)} s`);
  console.log(
    `every job received by its agent  ${(cluster.dispatched / 1000).toFixed(2)} s   (${(cluster.dispatched / edge.dispatched).toFixed(2)}× one instance)`,
  );
  console.log(
    `every accept received by an edge ${(cluster.accepted / 1000).toFixed(2)} s   (${(cluster.accepted / edge.accepted).toFixed(2)}× one instance)`,
  );
}
console.log('');
if (cluster) {
  console.log(
    `target: ${INSTANCES} instances within 2× one instance → ${cluster.accepted <= 2 * edge.accepted ? 'met' : 'NOT met'} (${(cluster.accepted / edge.accepted).toFixed(2)}×)`,
  );
}
console.log(
  `target: ≤ 15 KB per connection → ${edge.perConn <= 15 * 1024 ? 'met' : 'NOT met'} (${kb(edge.perConn)}, ${(edge.perConn / raw.perConn).toFixed(1)}× bare ws)`,
);
console.log(
  `target: all ${N} accepted within 3 s → ${edge.accepted <= 3000 ? 'met' : 'NOT met'} (${(edge.accepted / 1000).toFixed(2)} s)`,
);
process.exit(0);
