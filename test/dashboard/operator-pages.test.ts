import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEdge, startEdge } from '../../edge/node/start-edge.ts';
import {
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from '../../shared/client/webhook-signature.ts';
import { tempDir } from '../support/edge-process.ts';
import { adminApi, fixtureCatalog } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { launchBrowser, screenshot, signIn } from './browser.ts';

/**
 * The operators' pages (tokens, enrolment, audit), the fleet summary, the rollout bar, the
 * cache line of the catalog and what each role sees, in real Chromium against a real edge
 * whose hives are protocol-level agents (no builds: each test is seconds).
 */
const LIMIT_MS = 120_000;

let edge: RunningEdge;
let browser: BrowserContext;
let page: Page;
const agents: RawAgent[] = [];
const api = adminApi(() => edge.url);
/** Tokens the admin made on the Tokens page, by role. */
const made: Record<string, string> = {};

/** The edge serves a fake agent bundle of version 0.2.0: hives on 0.1.0 are older. */
const EDGE_AGENT = '0.2.0';

beforeAll(async () => {
  const bundle = join(tempDir('bundle'), 'rbee-agent.mjs');
  writeFileSync(bundle, `#!/usr/bin/env node\n// rbee-agent ${EDGE_AGENT}\n`);
  process.env.RBEE_AGENT_BUNDLE = bundle;
  [edge, browser] = await Promise.all([
    startEdge(
      {
        port: 0,
        host: '127.0.0.1',
        dataDir: tempDir('pages'),
        catalogDir: fixtureCatalog,
        options: {},
      },
      { RBEE_ADMIN_TOKEN: ADMIN },
    ),
    launchBrowser(),
  ]);
  delete process.env.RBEE_AGENT_BUNDLE;
  page = browser.pages()[0] ?? (await browser.newPage());
}, LIMIT_MS);

afterAll(async () => {
  for (const a of agents) a.ws.terminate();
  await browser?.close();
  await edge?.close();
});

/** Enrols a hive and connects a protocol-level agent that says hello with `version`. */
async function hiveOn(name: string, version: string, accelerators: object[] = []) {
  const hive = (await api('POST', '/api/hives', { name, labels: { rack: name.slice(-1) } })).body;
  const agent = new RawAgent(edge.url, hive.token);
  agents.push(agent);
  await agent.opened;
  agent.send({
    type: 'hello',
    agent_version: version,
    protocol: 1,
    platform: { os: 'linux', arch: 'x86_64', accelerators, hostname: name },
    installed: [{ id: 'rbee-hello-worker', version: '1.0.0-1' }],
    jobs: [],
  });
  await agent.next('welcome');
  return { id: hive.id as string, agent };
}

/** Runs a job the agent was sent to its end, `ms` after it was accepted. */
async function finish(agent: RawAgent, outcome: 'succeeded' | 'failed', ms: number) {
  const job = (await agent.next<{ type: string; job: { id: string } }>('job')).job.id;
  agent.send({ type: 'accept', job, duplicate: false });
  agent.send({ type: 'job_state', job, state: 'running', step: 'build' });
  await new Promise((r) => setTimeout(r, ms)); // the job's duration, which the chart shows
  agent.send({
    type: 'job_done',
    job,
    outcome,
    total: 0,
    ...(outcome === 'failed'
      ? { error: { message: 'build() failed with exit code 2', step: 'build', exit_code: 2 } }
      : {}),
  });
  return job;
}

async function waitJobEnded(id: string) {
  await expect
    .poll(async () => (await api('GET', `/api/jobs/${id}`)).body.job.ended_at, {
      timeout: LIMIT_MS,
    })
    .not.toBeNull();
}

describe('operator pages in Chromium', { timeout: LIMIT_MS }, () => {
  it('the Tokens page makes named tokens, shows each once and lists them; the API agrees', async () => {
    await signIn(page, edge.url);
    expect(await page.textContent('header .who')).toContain('admin');
    await page.click('nav a[href="/tokens"]');
    await page.waitForSelector('#tokens tbody tr');
    for (const [name, role] of [
      ['watcher', 'viewer'],
      ['ops', 'operator'],
    ] as const) {
      await page.fill('#token-form input[name=name]', name);
      await page.selectOption('#token-form select[name=role]', role);
      await page.click('#token-form button[type=submit]');
      await page.waitForSelector(`#tokens tr[data-token=${name}][data-state=active]`);
      made[role] = (await page.textContent('#new-token'))!;
      expect(made[role]).toMatch(/^rbt_[a-z2-7]{40}$/);
    }
    expect(await page.textContent('#tokens tr[data-token=ops]')).toContain('operator');
    const listed = (await api('GET', '/api/tokens')).body.tokens;
    expect(listed.map((t: { name: string; role: string }) => [t.name, t.role])).toEqual(
      expect.arrayContaining([
        ['watcher', 'viewer'],
        ['ops', 'operator'],
      ]),
    );
    await screenshot(page, 'tokens');
  });

  it('the Enrolment page makes a token with the install one-liner, counts uses left and revokes', async () => {
    await page.click('nav a[href="/enrolment"]');
    await page.waitForSelector('#enrolment-tokens tbody tr');
    await page.fill('#enrol-form input[name=name]', 'eu racks');
    await page.fill('#enrol-form input[name=labels]', 'zone=eu,gpu=a100');
    await page.fill('#enrol-form input[name=max_uses]', '3');
    // A fleet key that is not one is refused before any token is made.
    await page.fill('#enrol-form input[name=trust_key]', 'not a key; rm -rf /');
    await page.click('#enrol-form button[type=submit]');
    await page.waitForSelector('#enrol-result .error');
    expect(await page.textContent('#enrol-result')).toContain('the fleet key is the base64 line');
    const fleetKey = 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=';
    await page.fill('#enrol-form input[name=trust_key]', fleetKey);
    await page.click('#enrol-form button[type=submit]');
    await page.waitForSelector('#install-line');
    const token = (await page.textContent('#enrol-token'))!;
    expect(token).toMatch(/^rbe_/);
    expect(await page.textContent('#install-line')).toBe(
      `curl -fsSL ${edge.url}/install.sh | sh -s -- --enrol ${token} --trust-key ${fleetKey}`,
    );
    // The browser keeps the key for the next token.
    expect(await page.inputValue('#enrol-form input[name=trust_key]')).toBe(fleetKey);
    const row = await page.waitForSelector('#enrolment-tokens tr[data-state=active]');
    const id = (await row.getAttribute('data-token'))!;
    expect(await row.textContent()).toContain('3 of 3');
    expect(await row.textContent()).toContain('zone=eu');
    await screenshot(page, 'enrolment');
    // One machine enrols with it: the page counts the use.
    const enrolled = await fetch(`${edge.url}/agent/enrol`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ hostname: 'gpu-eu-1', machine_id: 'machine-eu-0001' }),
    });
    expect(enrolled.status).toBe(201);
    await page.reload();
    await page.waitForSelector(`#enrolment-tokens tr[data-token=${id}] .uses`);
    expect(await page.textContent(`#enrolment-tokens tr[data-token=${id}] .uses`)).toBe('2 of 3');
    page.once('dialog', (d) => void d.accept());
    await page.click(`#enrolment-tokens tr[data-token=${id}] button.danger`);
    await page.waitForSelector(`#enrolment-tokens tr[data-token=${id}][data-state=revoked]`);
    const again = await fetch(`${edge.url}/agent/enrol`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ hostname: 'gpu-eu-2', machine_id: 'machine-eu-0002' }),
    });
    expect(again.status).toBe(403);
  });

  it('the fleet page sums hives up, marks agents older than the edge and charts job durations', async () => {
    const a = await hiveOn('node-a', '0.1.0');
    const b = await hiveOn('node-b', EDGE_AGENT, [{ kind: 'cuda', name: 'A100' }]);
    // force: the hives report this version installed already (else: already_installed at once)
    const body = { worker: 'rbee-hello-worker', force: true };
    const ok = await api('POST', '/api/installs', { hive: a.id, ...body });
    const bad = await api('POST', '/api/installs', { hive: b.id, ...body });
    const [j1, j2] = await Promise.all([
      finish(a.agent, 'succeeded', 300),
      finish(b.agent, 'failed', 100),
    ]);
    expect([j1, j2]).toEqual([ok.body.job.id, bad.body.job.id]);
    await Promise.all([waitJobEnded(j1), waitJobEnded(j2)]);
    await page.goto(`${edge.url}/fleet`);
    await page.waitForSelector('#by-state tr[data-key=online]');
    // gpu-eu-1 enrolled on the Enrolment page and never connected: offline.
    expect(await page.textContent('#by-state tr[data-key=online] .n')).toBe('2');
    expect(await page.textContent('#by-state tr[data-key=offline] .n')).toBe('1');
    expect(await page.textContent('#by-platform tr[data-key="linux / x86_64"] .n')).toBe('2');
    expect(await page.textContent('#by-agent')).toContain(`edge serves ${EDGE_AGENT}`);
    expect(await page.textContent('#by-agent tr[data-key="0.1.0"]')).toContain('older');
    expect(await page.textContent(`#by-agent tr[data-key="${EDGE_AGENT}"]`)).not.toContain('older');
    expect(await page.textContent('#by-worker tr[data-worker=rbee-hello-worker]')).toContain(
      '1.0.0-1 × 2',
    );
    expect(await page.getAttribute('tr[data-hive=node-a] .agent span', 'data-older')).toBe('true');
    expect(await page.textContent('tr[data-hive=node-a] .agent')).toContain(
      `older than the edge's ${EDGE_AGENT}`,
    );
    expect(await page.getAttribute('tr[data-hive=node-b] .agent span', 'data-older')).toBe('false');
    // One dot per ended install, in the worker's series; the failed one is hollow.
    await page.waitForSelector(`#duration-svg circle[data-job=${j2}]`);
    const dots = await page.$$eval('#duration-svg g[data-worker=rbee-hello-worker] circle', (cs) =>
      cs.map((c) => [
        c.getAttribute('data-job'),
        c.getAttribute('data-state'),
        c.getAttribute('fill'),
      ]),
    );
    expect(dots).toHaveLength(2);
    expect(dots.find((d) => d[0] === j2)).toEqual([j2, 'failed', '#fff']);
    expect(dots.find((d) => d[0] === j1)?.[2]).not.toBe('#fff');
    const ys = await page.$$eval('#duration-svg circle', (cs) =>
      Object.fromEntries(cs.map((c) => [c.getAttribute('data-job'), Number(c.getAttribute('cy'))])),
    );
    expect(ys[j1]).toBeLessThan(ys[j2]!); // the longer job is drawn higher
    await screenshot(page, 'fleet-summary');
  });

  it('a new hive appears online on the open fleet page by push, without a reload', async () => {
    await page.goto(`${edge.url}/fleet`);
    await page.waitForSelector('tr[data-hive=node-a] .badge.online');
    const before = await page.evaluate(() => window.__rbeeLive!.refreshes.length);
    await hiveOn('node-c', '0.1.0');
    await page.waitForSelector('tr[data-hive=node-c] .badge.online');
    const why = await page.evaluate(
      (n) => window.__rbeeLive!.refreshes.slice(n).map((r) => r.why),
      before,
    );
    expect(why.length).toBeGreaterThan(0);
    expect(why.every((w) => w === 'push:bus')).toBe(true);
  });

  it('a rollout whose only job failed shows a red bar, not a green one', async () => {
    const c = (await api('GET', '/api/hives/node-c')).body;
    const res = await api('POST', '/api/installs', {
      hives: [c.id],
      worker: 'test-failing-worker',
    });
    expect(res.status).toBe(201);
    const agent = agents.at(-1)!;
    const job = await finish(agent, 'failed', 10);
    await waitJobEnded(job);
    await page.goto(`${edge.url}/rollouts/${res.body.rollout.id}`);
    await page.waitForSelector('#rollout-bar .seg.failed');
    const segs = await page.$$eval('#rollout-bar .seg', (els) =>
      els.map((e) => [e.getAttribute('data-outcome'), (e as HTMLElement).style.width]),
    );
    expect(segs).toEqual([['failed', '100%']]);
    const colour = await page.$eval(
      '#rollout-bar .seg',
      (e) => getComputedStyle(e).backgroundColor,
    );
    expect(colour).toBe('rgb(180, 35, 24)'); // --bad
    await screenshot(page, 'rollout-failed-bar');
    await page.goto(`${edge.url}/rollouts`);
    await page.waitForSelector(`#rollouts tr[data-rollout=${res.body.rollout.id}] .seg.failed`);
  });

  it('the catalog shows, per worker, the platforms with a cached package', async () => {
    const sha = 'a'.repeat(64);
    await edge.store.putPackage({
      key: 'b'.repeat(64),
      worker: 'rbee-hello-worker',
      version: '1.0.0-1',
      facts: {
        os: 'linux',
        arch: 'x86_64',
        accelerators: ['cuda'],
        worker_type: 'hello',
        pkgver: '1.0.0',
        pkgrel: '1',
        epoch: '',
        pkgbuild_sha256: sha,
      },
      files: [
        {
          pkgname: 'rbee-hello-worker',
          filename: 'rbee-hello-worker-1.0.0-1-x86_64.pkg.tar.zst',
          arch: 'x86_64',
          sha256: sha,
          md5: 'c'.repeat(32),
          size: 1234,
          pkginfo: 'pkgname = rbee-hello-worker\n',
        },
      ],
      job: 'job_x',
      built_by: 'hive_x',
      built_at: Date.now(),
      // The page shows what is cached; verifying the record is the agent's (test/e2e/install-many).
      signed: { payload: '{}', key_id: 'd'.repeat(16), signature: 'e'.repeat(88) },
    });
    await page.goto(`${edge.url}/catalog`);
    const card = 'section[data-worker=rbee-hello-worker]';
    await page.waitForSelector(`${card} .cache .chip.cached`);
    expect(await page.textContent(`${card} .cache`)).toContain('linux/x86_64+cuda · 1.0.0-1');
    expect(
      await page.getAttribute('section[data-worker=test-failing-worker] .cache', 'data-cached'),
    ).toBe('0');
    await screenshot(page, 'catalog-cache');
  });

  it('the Audit page lists sign-ins and changes with their actor, and filters by action', async () => {
    await page.goto(`${edge.url}/audit`);
    await page.waitForSelector('#audit tr[data-action="token.create"]');
    const actions = await page.$$eval('#audit tbody tr', (trs) =>
      trs.map((t) => t.getAttribute('data-action')),
    );
    for (const a of [
      'session.sign_in',
      'token.create',
      'enrolment_token.create',
      'enrolment_token.revoke',
      'worker.install',
    ]) {
      expect(actions).toContain(a);
    }
    expect(await page.textContent('#audit tr[data-action="token.create"]')).toContain('admin');
    await page.fill('#audit-filters input[name=action]', 'token.create');
    await page.press('#audit-filters input[name=action]', 'Enter');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#audit tbody tr')].every(
        (t) => t.getAttribute('data-action') === 'token.create',
      ),
    );
    expect(await page.locator('#audit tbody tr').count()).toBe(2);
    expect(new URL(page.url()).search).toBe('?action=token.create');
    await screenshot(page, 'audit');
  });

  it('the Webhooks page adds a webhook, shows its secret once, sends a signed test and lists the delivery', async () => {
    const got: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    let heard: () => void = () => {};
    const arrived = new Promise<void>((r) => {
      heard = r;
    });
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.writeHead(204).end();
        heard();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      await page.click('nav a[href="/webhooks"]');
      await page.waitForSelector('#webhooks');
      await page.fill('#webhook-form input[name=url]', url);
      await page.check('#webhook-form input[value="rollout.ended"]');
      await page.fill('#webhook-form input[name=description]', 'ci');
      await page.click('#webhook-form button[type=submit]');
      const secret = (await (await page.waitForSelector('#webhook-secret')).textContent())!;
      const hook = await page.waitForSelector('section.hook[data-webhook]');
      expect(await hook.textContent()).toContain(url);
      expect(await hook.textContent()).toContain('job.ended');
      expect(await hook.textContent()).toContain('rollout.ended');
      await page.click('section.hook button.test');
      await arrived;
      const sent = got[0]!;
      const stamp = Number(sent.headers[TIMESTAMP_HEADER.toLowerCase()]);
      expect(sent.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(
        await signWebhook(secret, sent.body, stamp),
      );
      // The page re-reads the deliveries: the ping shows delivered with the receiver's answer.
      await page.waitForSelector('section.hook tr[data-event=ping][data-state=delivered]', {
        timeout: LIMIT_MS,
      });
      expect(await page.textContent('section.hook tr[data-event=ping]')).toContain('204 in');
      await screenshot(page, 'webhooks');
    } finally {
      receiver.close();
    }
  });

  it('an admin marks a hive a builder from the fleet page; the page says the builder set needs signing', async () => {
    await page.goto(`${edge.url}/fleet`);
    const box = 'tr[data-hive=node-a] input.builder-toggle';
    await page.waitForSelector(box);
    expect(await page.isChecked(box)).toBe(false);
    await page.check(box);
    await page.waitForSelector('#builders-note:not([hidden])');
    expect(await page.textContent('#builders-note')).toContain('rbee builders sign');
    expect((await api('GET', '/api/hives/node-a')).body.builder).toBe(true);
    expect(await page.isChecked(box)).toBe(true);
    await screenshot(page, 'fleet-builder');
    await page.uncheck(box);
    await expect
      .poll(async () => (await api('GET', '/api/hives/node-a')).body.builder, { timeout: LIMIT_MS })
      .toBe(false);
  });

  it('a viewer signs in, sees no admin pages and no install or cancel controls; the API says 403', async () => {
    await Promise.all([page.waitForURL(`${edge.url}/login`), page.click('.signout button')]);
    await signIn(page, edge.url, made.viewer);
    expect(await page.textContent('header .who')).toContain('watcher');
    const nav = await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
    expect(nav).toEqual(['/fleet', '/catalog', '/jobs', '/rollouts', '/audit']);
    expect(await page.goto(`${edge.url}/webhooks`).then((r) => r?.status())).toBe(403);
    await page.goto(`${edge.url}/fleet`);
    await page.waitForSelector('tr[data-hive=node-a] td.builder');
    expect(await page.locator('input.builder-toggle').count()).toBe(0);
    const tokens = await page.goto(`${edge.url}/tokens`);
    expect(tokens?.status()).toBe(403);
    await page.goto(`${edge.url}/catalog`);
    await page.waitForSelector('section[data-worker=rbee-hello-worker] tr[data-hive=node-a]');
    expect(await page.locator('input[name=hive]').count()).toBe(0);
    expect(await page.locator('button.danger').count()).toBe(0);
    expect(await page.isHidden('section[data-worker=rbee-hello-worker] .install')).toBe(true);
    await screenshot(page, 'catalog-viewer');
    const refused = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name=csrf-token]')!.content;
      const r = await fetch('/api/installs', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ hive: 'node-a', worker: 'rbee-hello-worker' }),
      });
      return { status: r.status, body: await r.json() };
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    expect(refused.body.error).toContain('needs the operator role');
    // A running job: the viewer follows it but has no Cancel.
    const a = (await api('GET', '/api/hives/node-a')).body;
    const running = await api('POST', '/api/installs', {
      hive: a.id,
      worker: 'rbee-hello-worker',
      force: true,
    });
    expect(['queued', 'dispatched']).toContain(running.body.job.state);
    await page.goto(`${edge.url}/jobs/${running.body.job.id}`);
    await page.waitForSelector('#job-state[data-state]');
    expect(await page.isHidden('#cancel')).toBe(true);
  });

  it('an operator sees the install controls but not the admin pages; revoking a token ends its session', async () => {
    await Promise.all([page.waitForURL(`${edge.url}/login`), page.click('.signout button')]);
    await signIn(page, edge.url, made.operator);
    const nav = await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
    expect(nav).not.toContain('/tokens');
    expect(nav).not.toContain('/enrolment');
    await page.goto(`${edge.url}/catalog`);
    await page.waitForSelector('section[data-worker=rbee-hello-worker] input[name=hive]');
    expect(await page.isVisible('section[data-worker=rbee-hello-worker] .install')).toBe(true);
    expect((await api('DELETE', '/api/tokens/ops')).status).toBe(200);
    const status = await page.evaluate(async () => (await fetch('/api/hives')).status);
    expect(status).toBe(401);
  });
});
