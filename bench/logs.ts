/**
 * bench:logs — build output → agent → edge (durable store) → one SSE client, end to end.
 * 1. Throughput: a build printing 2,000,000 lines as fast as it can; lines/s from the first line
 *    read by the agent to the last one received over SSE, next to a bare ws relay of the same
 *    lines (read from `seq` through a pipe, framed, relayed, counted) in the same run. Both
 *    consumers count lines in the JSON text the same way, without parsing it.
 * 2. Latency: a build printing ~10,000 lines/s for 10 s; per line, SSE arrival − agent read time.
 * Targets: ≥ 500,000 lines/s and ≥ 25% of the raw relay; p99 ≤ 50 ms at 10,000 lines/s.
 *   npm run bench:logs
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { RawAgent } from '../test/support/raw-agent.ts';
import { spoolFsyncBench } from './spool-fsync.ts';
import { followSse } from './sse-follow.ts';
import {
  BENCH_ADMIN,
  children,
  repoRoot,
  sleep,
  startBenchEdge,
  startListening,
} from './support.ts';

const ADMIN = BENCH_ADMIN;
/** BENCH_PROFILE=DIR writes CPU profiles of the edge and the agent there. */
const prof = (name: string) =>
  process.env.BENCH_PROFILE
    ? ['--cpu-prof', '--cpu-prof-dir', join(process.env.BENCH_PROFILE, name)]
    : [];
const LINES = 2_000_000;
const dir = mkdtempSync(join(tmpdir(), 'rbee-bench-logs-'));
chmodSync(dir, 0o755);

/**
 * The build's lines in a JSON text of entries, counted without parsing it: `"x":"line ` occurs
 * once per such entry (a quote inside a text is escaped, so no text can fake it).
 */
function countLines(json: string): number {
  let n = 0;
  for (let i = json.indexOf('"x":"line '); i !== -1; i = json.indexOf('"x":"line ', i + 10)) n++;
  return n;
}

async function rawRelay(): Promise<number> {
  const { url } = await startListening(process.execPath, ['--import', 'tsx', 'bench/raw-relay.ts']);
  const ws = url.replace(/^http/, 'ws');
  const consumer = new WebSocket(`${ws}/consume`, { perMessageDeflate: false });
  await new Promise((r) => consumer.once('open', r));
  const producer = new WebSocket(`${ws}/produce`, { perMessageDeflate: false });
  await new Promise((r) => producer.once('open', r));
  let received = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    consumer.on('message', (data) => {
      // Counted the way the SSE client counts (no parse), so the two consumers cost the same.
      received += countLines(data.toString());
      if (received >= LINES) resolve(performance.now());
    });
  });
  // The same lines, framed like the agent frames them: 4096 entries a frame.
  const seq = spawn('seq', ['-f', 'line %.0f', '1', String(LINES)]);
  let batch: Array<{ s: number; t: number; k: string; x: string }> = [];
  let s = 0;
  for await (const line of createInterface({ input: seq.stdout })) {
    if (s === 0) first = performance.now();
    batch.push({ s: s++, t: Date.now(), k: 'o', x: line });
    if (batch.length === 4096) {
      producer.send(JSON.stringify({ v: 1, type: 'logs', job: 'job_raw00000', entries: batch }));
      batch = [];
    }
  }
  if (batch.length)
    producer.send(JSON.stringify({ v: 1, type: 'logs', job: 'job_raw00000', entries: batch }));
  const last = await done;
  consumer.close();
  producer.close();
  return LINES / ((last - first) / 1000);
}

async function fleet(suffix = '', storeArgs: string[] = []) {
  const { url, post } = await startBenchEdge(
    join(dir, `edge${suffix}`),
    ['--catalog', join(repoRoot, 'bench', 'catalog'), ...storeArgs],
    prof(`edge${suffix}`),
  );
  const api = (path: string, body: unknown) =>
    post<{ token: string; job: { id: string } }>(path, body);
  const { token } = await api('/api/hives', { name: 'bench' });
  const agent = spawn(
    process.execPath,
    [
      ...prof('agent'),
      '--import',
      'tsx',
      'cli/rbee.ts',
      'agent',
      '--edge',
      url,
      '--token',
      token,
      '--state',
      join(dir, `agent${suffix}`),
      '--allow-unsigned',
    ],
    {
      cwd: repoRoot,
      stdio: 'ignore',
    },
  );
  children.add(agent);
  await sleep(1500);
  return { url, api };
}

async function throughput(
  url: string,
  api: (p: string, b: unknown) => Promise<{ job: { id: string } }>,
) {
  const { job } = await api('/api/installs', { hive: 'bench', worker: 'bench-fast-lines' });
  let lines = 0;
  let firstRead = 0;
  let lastArrival = 0;
  const end = await followSse(
    `${url}/api/jobs/${job.id}/logs`,
    ADMIN,
    () => {},
    (data, at) => {
      let n = 0;
      for (let i = data.indexOf('"x":"line '); i !== -1; i = data.indexOf('"x":"line ', i + 10))
        n++;
      if (n === 0) return;
      if (lines === 0) {
        const entries = JSON.parse(data) as Array<{ t: number; x?: string }>;
        firstRead = entries.find((e) => e.x?.startsWith('line '))!.t;
      }
      lines += n;
      lastArrival = at;
    },
  );
  if (end.state !== 'succeeded' || lines !== LINES)
    throw new Error(`fast build: ${end.state}, ${lines} lines`);
  return LINES / ((lastArrival - firstRead) / 1000);
}

async function latency(
  url: string,
  api: (p: string, b: unknown) => Promise<{ job: { id: string } }>,
) {
  const { job } = await api('/api/installs', { hive: 'bench', worker: 'bench-steady-lines' });
  const latencies: number[] = [];
  let first = 0;
  let last = 0;
  const end = await followSse(`${url}/api/jobs/${job.id}/logs`, ADMIN, (entries, at) => {
    for (const e of entries) {
      if (!e.x?.startsWith('tick ')) continue;
      if (!first) first = e.t;
      last = e.t;
      latencies.push(at - e.t);
    }
  });
  if (end.state !== 'succeeded') throw new Error(`steady build: ${end.state}`);
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return {
    rate: latencies.length / ((last - first) / 1000),
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1)!,
  };
}

/**
 * Where the time goes: the same edge fed by a bare protocol client (RawAgent) in this process,
 * with the agent's window of unacknowledged entries, and read back over SSE.
 */
async function edgeAlone(
  url: string,
  api: (p: string, b: unknown) => Promise<{ token: string; job: { id: string } }>,
) {
  const { token } = await api('/api/hives', { name: 'bench-raw' });
  const raw = new RawAgent(url, token);
  await raw.hello();
  const { job } = await api('/api/installs', { hive: 'bench-raw', worker: 'bench-fast-lines' });
  await raw.next('job');
  let acked = 0;
  raw.ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; next_seq?: number };
    if (m.type === 'ack') acked = m.next_seq!;
  });
  let last = 0;
  const start = performance.now();
  const read = followSse(`${url}/api/jobs/${job.id}/logs`, ADMIN, () => {
    last = performance.now();
  });
  for (let s = 0; s < LINES; ) {
    while (s - acked > 100_000) await sleep(1);
    const entries = [];
    for (let i = 0; i < 4096 && s < LINES; i++, s++) {
      entries.push({ s, t: Date.now(), k: 'o', x: `line ${s}` });
    }
    raw.send({ type: 'logs', job: job.id, entries });
  }
  raw.send({ type: 'job_done', job: job.id, outcome: 'succeeded', total: LINES });
  await read;
  raw.close();
  return LINES / ((last - start) / 1000);
}

console.log(
  `bench:logs — ${LINES.toLocaleString('en')} lines, build → agent → edge (Deno KV file) → SSE`,
);
const raw = await rawRelay();
const { url, api } = await fleet();
const e2e = await throughput(url, api);
const lat = await latency(url, api);
const alone = await edgeAlone(url, api);
const fsync = await spoolFsyncBench(500_000);
const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log('');
console.log(`end to end (durable)      ${fmt(e2e).padStart(10)} lines/s`);
console.log(
  `raw ws relay (baseline)   ${fmt(raw).padStart(10)} lines/s   (seq | frame | ws relay | count, no storage)`,
);
console.log(
  `edge alone (diagnostic)   ${fmt(alone).padStart(10)} lines/s   (frames from a protocol client in this process: no build, no agent)`,
);
console.log(`ratio                     ${((e2e / raw) * 100).toFixed(0).padStart(9)} %`);
console.log(
  `latency at ${fmt(lat.rate)} lines/s: p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms`,
);
// The spool's fsync (agent side only, acks at once): batched as the agent runs, none, per line.
console.log(
  `spool, fsyncs batched     ${fmt(fsync.batched).padStart(10)} lines/s   (${fsync.fsyncs} fsyncs for ${fsync.batches} batches of ${fmt(fsync.lines)} lines)`,
);
console.log(`spool, no fsync           ${fmt(fsync.none).padStart(10)} lines/s   (baseline)`);
console.log(
  `spool, fsync per line     ${fmt(fsync.perLine).padStart(10)} lines/s   (on ${fmt(fsync.perLineLines)} lines)`,
);
console.log(
  `fsync batching            ${((fsync.batched / fsync.none) * 100).toFixed(0).padStart(9)} % of no fsync, ${(fsync.batched / fsync.perLine).toFixed(0)}x fsync per line`,
);
// --store redis: the same end-to-end run on the Redis engine (appendfsync always), next to it.
let onRedis: number | null = null;
/** The KV file's run again right before the Redis one: the two compare under the same load. */
let kvNext = e2e;
if (process.argv.includes('redis')) {
  kvNext = await throughput(url, api);
  const { startRedisServer } = await import('../test/support/redis-server.ts');
  const redis = await startRedisServer();
  try {
    const r = await fleet('-redis', ['--store', redis.url, '--instance-id', 'bench-redis']);
    onRedis = await throughput(r.url, r.api);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await redis.stop();
  }
  console.log(
    `end to end on Redis       ${fmt(onRedis).padStart(10)} lines/s   (--store redis://, appendonly yes, appendfsync always)`,
  );
  console.log(
    `end to end on the KV file ${fmt(kvNext).padStart(10)} lines/s   (again, right before the Redis run)`,
  );
  console.log(`Redis / KV file           ${((onRedis / kvNext) * 100).toFixed(0).padStart(9)} %`);
}
console.log('');
if (onRedis !== null) {
  console.log(
    `target: Redis ≥ 60% of the KV file's lines/s → ${onRedis / kvNext >= 0.6 ? 'met' : 'NOT met'}`,
  );
}
console.log(`target: ≥ 500,000 lines/s end to end → ${e2e >= 500_000 ? 'met' : 'NOT met'}`);
console.log(`target: ≥ 25% of the raw relay → ${e2e / raw >= 0.25 ? 'met' : 'NOT met'}`);
console.log(`target: p99 ≤ 50 ms at ~10,000 lines/s → ${lat.p99 <= 50 ? 'met' : 'NOT met'}`);
process.exit(0);
