import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, NODE_TS, startListening, tempDir } from '../support/edge-process.ts';
import { fixtureCatalog } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { launchBrowser, screenshot, signIn } from './browser.ts';

/** Two edge processes and Chromium on a loaded machine: generous, though it takes seconds. */
const LIMIT_MS = 240_000;

let redis: RedisServer;
let a: EdgeProcess;
let b: EdgeProcess;
let browser: BrowserContext;
let fleet: Page;
let jobs: Page;
const agents: RawAgent[] = [];

/**
 * `rbee edge` on the shared Redis. The dashboard's slow poll is ten minutes here, so whatever
 * reaches a page in this test came over the bus (Redis pub/sub) between the two processes.
 */
const edgeOn = (id: string) =>
  startListening(
    process.execPath,
    [
      ...NODE_TS,
      'cli/rbee.ts',
      'edge',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data',
      tempDir('live'),
      '--store',
      redis.url,
      '--instance-id',
      id,
      '--heartbeat-ms',
      '1000',
      '--dashboard-poll-ms',
      '600000',
      '--catalog',
      fixtureCatalog,
    ],
    { RBEE_ADMIN_TOKEN: ADMIN },
  );

async function api(edge: EdgeProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${edge.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: bodies are asserted field by field
  return { status: res.status, body: (await res.json()) as any };
}

/** What made each refresh of a page after its stream opened: `push:bus` or `push:poll`. */
const pushes = (page: Page) =>
  page.evaluate(() =>
    window.__rbeeLive!.refreshes.map((r) => r.why).filter((why) => why !== 'ready'),
  );

beforeAll(async () => {
  redis = await startRedisServer();
  [a, b, browser] = await Promise.all([edgeOn('edge-a'), edgeOn('edge-b'), launchBrowser()]);
  fleet = browser.pages()[0] ?? (await browser.newPage());
  await signIn(fleet, b.url);
  jobs = await browser.newPage();
  await jobs.goto(`${b.url}/jobs`);
  // Both pages listen on B's stream before anything happens on A.
  await fleet.waitForFunction(() => window.__rbeeLive?.ready === 1);
  await jobs.waitForFunction(() => window.__rbeeLive?.ready === 1);
}, LIMIT_MS);

afterAll(async () => {
  for (const agent of agents) agent.ws.terminate();
  await browser?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

describe('the dashboard on instance B follows changes made through instance A, by push', () => {
  it(
    'a hive enrolled and connected on A appears online on B, and offline when it leaves',
    async () => {
      const hive = await api(a, 'POST', '/api/hives', { name: 'far-hive' });
      expect(hive.status).toBe(201);
      await fleet.waitForSelector('tr[data-hive=far-hive] .badge.offline', { timeout: LIMIT_MS });
      const agent = new RawAgent(a.url, hive.body.token);
      agents.push(agent);
      await agent.hello();
      await fleet.waitForSelector('tr[data-hive=far-hive] .badge.online', { timeout: LIMIT_MS });
      expect((await api(b, 'GET', '/api/hives/far-hive')).body.instance).toBe('edge-a');
      await screenshot(fleet, 'live-fleet-on-b');
      agent.close();
      await fleet.waitForSelector('tr[data-hive=far-hive] .badge.offline', { timeout: LIMIT_MS });
      const why = await pushes(fleet);
      expect(why.length).toBeGreaterThanOrEqual(3); // enrolled, online, offline (maybe more)
      expect(why.every((w) => w === 'push:bus')).toBe(true);
    },
    LIMIT_MS,
  );

  it(
    'a job posted on A shows on B and moves to succeeded as its agent on A reports',
    async () => {
      const hive = await api(a, 'POST', '/api/hives', { name: 'builder-a' });
      const agent = new RawAgent(a.url, hive.body.token);
      agents.push(agent);
      await agent.hello();
      const posted = await api(a, 'POST', '/api/installs', {
        hive: hive.body.id,
        worker: 'rbee-hello-worker',
      });
      expect(posted.status).toBe(201);
      const id = posted.body.job.id as string;
      await jobs.waitForSelector(`tr[data-job=${id}]`, { timeout: LIMIT_MS });
      await agent.next('job');
      agent.send({ type: 'accept', job: id, duplicate: false });
      agent.send({ type: 'job_state', job: id, state: 'running', step: 'build' });
      await jobs.waitForSelector(`tr[data-job=${id}] .badge.running`, { timeout: LIMIT_MS });
      agent.send({ type: 'job_done', job: id, outcome: 'succeeded', total: 0 });
      await jobs.waitForSelector(`tr[data-job=${id}] .badge.succeeded`, { timeout: LIMIT_MS });
      await screenshot(jobs, 'live-jobs-on-b');
      const why = await pushes(jobs);
      expect(why.length).toBeGreaterThanOrEqual(3); // posted, running, succeeded
      expect(why.every((w) => w === 'push:bus')).toBe(true);
      expect(jobs.url()).toBe(`${b.url}/jobs`); // never reloaded
    },
    LIMIT_MS,
  );
});
