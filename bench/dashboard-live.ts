/**
 * bench:dashboard-live — how fast a change made through one edge instance reaches dashboards
 * open on another, by push (GET /dashboard/events over the Redis bus), next to the 2-second
 * polling the pages did before, measured in the same run; and how often the open pages have
 * to re-read while a build floods its log (push: only when what they show changed; polling:
 * every 2 s whatever happens).
 * Two edges in this process on one real redis-server (Redis store, Redis pub/sub bus),
 * `--pages` event streams on instance B, `--rounds` hives enrolled through instance A.
 *   npm run bench:dashboard-live [-- --pages 50 --rounds 20 --flood-seconds 10]
 */
import { type RunningEdge, startEdge } from '../edge/node/start-edge.ts';
import { readSseStream } from '../shared/client/sse.ts';
import { tempDir } from '../test/support/edge-process.ts';
import { RawAgent } from '../test/support/raw-agent.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { flag } from './support.ts';

const ADMIN = 'rba_bench_admin_token_000000000000000000000';
const PAGES = flag('pages', 50);
const ROUNDS = flag('rounds', 20);
const FLOOD_S = flag('flood-seconds', 10);
const POLL_MS = 2000;

const redis = await startRedisServer();
const edgeOn = (id: string) =>
  startEdge(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir: tempDir('bench-live'),
      catalogDir: null,
      store: redis.url,
      instanceId: id,
      options: { heartbeatMs: 1000 },
    },
    { RBEE_ADMIN_TOKEN: ADMIN },
  );
const [a, b]: [RunningEdge, RunningEdge] = await Promise.all([
  edgeOn('bench-a'),
  edgeOn('bench-b'),
]);
const api = async (edge: RunningEdge, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${edge.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: bench reads fields directly
  return (await res.json()) as any;
};

const login = await fetch(`${b.url}/login`, {
  method: 'POST',
  redirect: 'manual',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token: ADMIN, next: '/fleet' }),
});
const cookie = /rbee_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];

/** One open page's event stream on B: when each `hives` / `jobs` change arrived. */
type Reader = { hives: number[]; jobs: number[]; ready: Promise<void>; stop: AbortController };
function reader(): Reader {
  const stop = new AbortController();
  const r: Reader = { hives: [], jobs: [], stop, ready: Promise.resolve() };
  r.ready = new Promise<void>((ready) => {
    void (async () => {
      const res = await fetch(`${b.url}/dashboard/events`, {
        headers: { Cookie: cookie },
        signal: stop.signal,
      });
      try {
        for await (const m of readSseStream(res.body!)) {
          if (m.event === 'ready') ready();
          if (m.event !== 'change') continue;
          const { topics } = JSON.parse(m.data) as { topics: string[] };
          const at = performance.now();
          if (topics.includes('hives')) r.hives.push(at);
          if (topics.includes('jobs')) r.jobs.push(at);
        }
      } catch {
        // aborted at the end
      }
    })();
  });
  return r;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

const step = (text: string) => process.stderr.write(`${text}\n`);
step(`two edges up; opening ${PAGES} event streams on B`);
// 1. Push: a hive enrolled through A; the time until every page on B heard of it.
const readers = Array.from({ length: PAGES }, reader);
await Promise.all(readers.map((r) => r.ready));
const firstPush: number[] = [];
const lastPush: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const seen = readers.map((r) => r.hives.length);
  const t0 = performance.now();
  await api(a, 'POST', '/api/hives', { name: `push-${i}` });
  const heard = await Promise.all(
    readers.map(
      (r, k) =>
        new Promise<number>((done) => {
          const check = () =>
            r.hives.length > seen[k]! ? done(r.hives[seen[k]!]! - t0) : setTimeout(check, 1);
          check();
        }),
    ),
  );
  firstPush.push(Math.min(...heard));
  lastPush.push(Math.max(...heard));
}

step('push measured; polling baseline');
// 2. The baseline: pages polling GET /api/hives on B every 2 s (the pages before push).
let pollRequests = 0;
const pollers = Array.from({ length: PAGES }, (_, k) => {
  let names = new Set<string>();
  const listeners: ((name: string, at: number) => void)[] = [];
  const tick = async () => {
    const { hives } = await api(b, 'GET', '/api/hives');
    pollRequests++;
    const at = performance.now();
    const now = new Set<string>(hives.map((h: { name: string }) => h.name));
    for (const n of now) if (!names.has(n)) for (const l of listeners) l(n, at);
    names = now;
  };
  // Pages opened at different moments: their 2 s ticks are spread over the interval.
  const start = setTimeout(
    () => {
      void tick();
      timers[k] = setInterval(() => void tick(), POLL_MS);
    },
    (k * POLL_MS) / PAGES,
  );
  return { listeners, start };
});
const timers: ReturnType<typeof setInterval>[] = [];
await new Promise((r) => setTimeout(r, POLL_MS + 200)); // every poller has its first list
const firstPoll: number[] = [];
const lastPoll: number[] = [];
const pollRounds = Math.max(3, Math.ceil(ROUNDS / 4));
for (let i = 0; i < pollRounds; i++) {
  const name = `poll-${i}`;
  let t0 = Number.NaN;
  // Each poller listens before the hive exists, so a tick right after the POST is not missed.
  const heard = Promise.all(
    pollers.map(
      (p) =>
        new Promise<number>((done) => {
          const l = (n: string, at: number) => {
            if (n === name) {
              p.listeners.splice(p.listeners.indexOf(l), 1);
              done(at - t0);
            }
          };
          p.listeners.push(l);
        }),
    ),
  );
  t0 = performance.now();
  await api(a, 'POST', '/api/hives', { name });
  const times = await heard;
  firstPoll.push(Math.min(...times));
  lastPoll.push(Math.max(...times));
}

step('polling measured; log flood');
// 3. A build floods its log through A for a while: how often must each open page re-read?
const hive = await api(a, 'POST', '/api/hives', { name: 'flood' });
const agent = new RawAgent(a.url, hive.token);
await agent.hello();
const posted = await api(a, 'POST', '/api/installs', {
  hive: hive.id,
  worker: 'rbee-hello-worker',
});
const job = posted.job.id as string;
await agent.next('job');
agent.send({ type: 'accept', job, duplicate: false });
agent.send({ type: 'job_state', job, state: 'running', step: 'build' });
// The job's own changes (created, sent, running) reach the pages first; then the flood alone.
await new Promise((r) => setTimeout(r, 1500));
const before = readers.map((r) => r.jobs.length + r.hives.length);
const pollBefore = pollRequests;
let seq = 0;
const end = performance.now() + FLOOD_S * 1000;
while (performance.now() < end) {
  const batch = Array.from({ length: 100 }, () => ({
    s: seq,
    t: Date.now(),
    k: 'o',
    x: `line ${seq++}`,
  }));
  agent.send({ type: 'logs', job, entries: batch });
  await new Promise((r) => setTimeout(r, 10)); // about 10,000 lines/s
}
const pushRereads =
  readers.reduce((n, r, k) => n + r.jobs.length + r.hives.length - before[k]!, 0) / PAGES;
const pollRereads = (pollRequests - pollBefore) / PAGES;

for (const r of readers) r.stop.abort();
for (const t of timers) clearInterval(t);
for (const p of pollers) clearTimeout(p.start);
agent.ws.terminate();

console.log(
  `dashboard pages on instance B, changes made through instance A (Redis bus), ${PAGES} pages`,
);
console.log(
  `  push    (${ROUNDS} rounds): first page ${ms(pct(firstPush, 50))} median, ${ms(pct(firstPush, 95))} p95; all pages ${ms(pct(lastPush, 50))} median, ${ms(pct(lastPush, 95))} p95`,
);
console.log(
  `  polling (${pollRounds} rounds, every 2 s, baseline): first page ${ms(pct(firstPoll, 50))} median; all pages ${ms(pct(lastPoll, 50))} median, ${ms(pct(lastPoll, 95))} p95`,
);
console.log(
  `  ratio: all pages see a change ${(pct(lastPoll, 50) / pct(lastPush, 50)).toFixed(1)}× sooner by push (median)`,
);
console.log(
  `  during a ${FLOOD_S} s log flood (${seq.toLocaleString('en-US')} lines): ${pushRereads.toFixed(1)} re-reads per page by push vs ${pollRereads.toFixed(1)} by polling`,
);
await Promise.all([a.close(), b.close()]);
await redis.stop();
process.exit(0);
