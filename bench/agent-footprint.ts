/**
 * `npm run bench:agent-footprint`: what the bundled agent (dist/rbee-agent.mjs, plain node)
 * costs on a hive, next to a bare `ws` client in node that holds the same socket (hello,
 * welcome, pongs) measured in the same run. Figures: processes, time from spawn to connected,
 * resident memory idle and connected, CPU while idle. Target: one process, idle RSS at most
 * 1.5x the bare client's, no CPU beyond heartbeats.
 *   BENCH_RUNS=3 BENCH_IDLE_MS=5000 npm run bench:agent-footprint
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdge } from '../edge/node/start-edge.ts';
import { children, repoRoot, rssOf, sleep } from './support.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);
const ADMIN = 'rba_bench_admin_token_000000000000000000000';
const tmp = () => mkdtempSync(join(tmpdir(), 'rbee-footprint-'));

/** CPU time (user + system) of a process, in ms, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** A process's descendants (the agent's: the state lock's holder, agent/jobs/state-lock.ts). */
function descendants(pid: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
  const kids = out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
  return kids.flatMap((kid) => [kid, ...descendants(kid)]);
}

/** The baseline: a bare ws client that does just what the socket needs. */
const BASELINE = `
import WebSocket from 'ws';
const ws = new WebSocket(process.env.URL, { headers: { Authorization: 'Bearer ' + process.env.TOKEN }, perMessageDeflate: false });
ws.on('open', () => ws.send(JSON.stringify({ v: 1, type: 'hello', agent_version: '0', protocol: 1,
  platform: { os: 'linux', arch: 'x86_64', accelerators: [] }, installed: [], jobs: [] })));
ws.on('message', (data) => {
  const m = JSON.parse(String(data));
  if (m.type === 'welcome') console.log('connected');
  if (m.type === 'ping') ws.send(JSON.stringify({ v: 1, type: 'pong', ts: m.ts }));
});
`;

type Sample = {
  startMs: number;
  rssIdle: number;
  rssConnected: number;
  cpuIdleMs: number;
  processes: number;
  /** Resident memory of the descendants together (the lock holder). */
  rssHelpers: number;
};

/** Spawns, waits for "connected", then measures RSS and CPU over the idle window. */
async function measure(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Sample> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd, args, {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      if (/connected/.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out}`)));
  });
  const startMs = performance.now() - t0;
  const rssConnected = rssOf(child.pid!);
  await sleep(1000); // let start-up garbage settle
  const cpu0 = cpuMs(child.pid!);
  await sleep(IDLE_MS);
  const cpuIdleMs = cpuMs(child.pid!) - cpu0;
  const rssIdle = rssOf(child.pid!);
  const helpers = descendants(child.pid!);
  const rssHelpers = helpers.reduce((n, pid) => n + rssOf(pid), 0);
  child.kill('SIGKILL');
  children.delete(child);
  return { startMs, rssIdle, rssConnected, cpuIdleMs, processes: 1 + helpers.length, rssHelpers };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

async function main() {
  const dist = tmp();
  const bundle = join(dist, 'rbee-agent.mjs');
  const built = spawnSync(process.execPath, ['scripts/build-agent.mjs', '--out', bundle], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(built.stderr);
  const baseline = join(repoRoot, 'bench', '.footprint-baseline.mjs');
  writeFileSync(baseline, BASELINE);
  const edge = await startEdge(
    { port: 0, host: '127.0.0.1', dataDir: tmp(), catalogDir: null, options: {} },
    { RBEE_ADMIN_TOKEN: ADMIN },
  );
  const hive = async (name: string) => {
    const res = await fetch(`${edge.url}/api/hives`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    return ((await res.json()) as { token: string }).token;
  };
  const agents: Sample[] = [];
  const bare: Sample[] = [];
  for (let run = 0; run < RUNS; run++) {
    const state = tmp();
    agents.push(
      await measure(
        process.execPath,
        [
          bundle,
          'run',
          '--edge',
          edge.url,
          '--state',
          state,
          '--install-root',
          join(state, 'root'),
          // No job runs here: the footprint of an agent that verifies is the same.
          '--allow-unsigned',
        ],
        { RBEE_TOKEN: await hive(`agent-${run}`), RBEE_UPGRADE: 'off' },
        dist,
      ),
    );
    bare.push(
      await measure(
        process.execPath,
        [baseline],
        { URL: `${edge.url.replace('http', 'ws')}/agent`, TOKEN: await hive(`bare-${run}`) },
        join(repoRoot, 'bench'),
      ),
    );
  }
  await edge.close();
  const row = (name: string, s: Sample[]) =>
    `${name.padEnd(34)} ${String(median(s.map((x) => x.processes))).padStart(9)} ${`${median(s.map((x) => x.startMs)).toFixed(0)} ms`.padStart(10)} ${mib(median(s.map((x) => x.rssConnected))).padStart(12)} ${mib(median(s.map((x) => x.rssIdle))).padStart(10)} ${`${median(s.map((x) => x.cpuIdleMs)).toFixed(0)} ms`.padStart(9)}`;
  const size = readFileSync(bundle).length;
  console.log(
    `agent bundle: ${bundle}, ${(size / 1024).toFixed(0)} KiB; ${RUNS} runs each, medians; idle window ${IDLE_MS} ms; node ${process.version}`,
  );
  console.log(
    `${'process'.padEnd(34)} ${'processes'.padStart(9)} ${'start→conn'.padStart(10)} ${'RSS conn.'.padStart(12)} ${'RSS idle'.padStart(10)} ${'CPU idle'.padStart(9)}`,
  );
  console.log(row('rbee-agent.mjs (plain node)', agents));
  console.log(row('baseline: bare ws client (node)', bare));
  const ratio = median(agents.map((x) => x.rssIdle)) / median(bare.map((x) => x.rssIdle));
  const startRatio = median(agents.map((x) => x.startMs)) / median(bare.map((x) => x.startMs));
  console.log(
    `idle RSS ratio agent/baseline: ${ratio.toFixed(2)}x (target <= 1.5x) ${ratio <= 1.5 ? 'OK' : 'OVER'}`,
  );
  console.log(`start-up ratio agent/baseline: ${startRatio.toFixed(2)}x`);
  console.log(
    `beside the agent: ${median(agents.map((x) => x.processes)) - 1} process(es) (the state lock's holder, cat), ${mib(median(agents.map((x) => x.rssHelpers)))} RSS`,
  );
  spawnSync('rm', ['-f', baseline]);
}

await main();
process.exit(0);
