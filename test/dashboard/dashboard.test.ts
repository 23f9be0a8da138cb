import { chmodSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, NODE_TS, startListening, tempDir } from '../support/edge-process.ts';
import { adminApi, fixtureCatalog } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { launchBrowser, screenshot, shownLines, signIn, waitForJobState } from './browser.ts';

/** Each test runs real builds through real processes: minutes on a loaded machine. */
const REAL_BUILD_LIMIT_MS = 300_000;

/** `rbee start` (edge + local agent as hive "local") driven from real Chromium. */
let fleet: EdgeProcess;
let browser: BrowserContext;
let page: Page;
const api = adminApi(() => fleet.url);

beforeAll(async () => {
  const data = tempDir('dashboard');
  chmodSync(data, 0o755); // builds run as an unprivileged user under the data folder
  [fleet, browser] = await Promise.all([
    startListening(
      process.execPath,
      [
        ...NODE_TS,
        'cli/rbee.ts',
        'start',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--data',
        data,
      ].concat(['--catalog', fixtureCatalog]),
      { RBEE_ADMIN_TOKEN: ADMIN },
    ),
    launchBrowser(),
  ]);
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
});

async function install(worker: string) {
  const res = await api('POST', '/api/installs', { force: true, hive: 'local', worker });
  expect(res.status).toBe(201);
  return res.body.job.id as string;
}

describe('dashboard in Chromium against rbee start', { timeout: REAL_BUILD_LIMIT_MS }, () => {
  it('refuses a wrong token, signs in with the right one and shows the local hive online', async () => {
    await page.goto(`${fleet.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login');
    await page.fill('input[name=token]', 'rba_wrong');
    await page.click('button[type=submit]');
    expect(await page.textContent('.error')).toContain('not right');
    await signIn(page, fleet.url);
    const cookie = (await browser.cookies()).find((c) => c.name === 'rbee_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.value).not.toContain(ADMIN);
    const row = await page.waitForSelector('tr[data-hive=local] .badge.online', {
      timeout: 120_000,
    });
    expect(await row.textContent()).toBe('online');
    expect(await page.textContent('tr[data-hive=local]')).toContain('linux / x86_64');
    await screenshot(page, 'fleet');
  });

  it('an unsafe API call with the cookie but without the CSRF token is refused', async () => {
    const res = await page.evaluate(async () => {
      const r = await fetch('/api/installs', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ hive: 'local', worker: 'rbee-hello-worker' }),
      });
      return { status: r.status, body: await r.json() };
    });
    expect(res).toEqual({ status: 403, body: { code: 'CSRF', error: expect.any(String) } });
  });

  it('installs the demo worker from the catalog and the log arrives live until success', async () => {
    await page.goto(`${fleet.url}/catalog`);
    const card = 'section[data-worker=rbee-hello-worker]';
    await page.waitForSelector(`${card} tr[data-hive=local]`);
    expect(await page.textContent(`${card} tr[data-hive=local]`)).toContain('can run');
    expect(
      await page.textContent('section[data-worker=llm-worker-rbee-cuda] tr[data-hive=local]'),
    ).toContain('needs CUDA');
    await screenshot(page, 'catalog');
    await page.check(`${card} input[name=hive][value^=hive_]`);
    await Promise.all([page.waitForURL(/\/jobs\/job_/), page.click(`${card} button.primary`)]);
    // The page is open before the build ends: lines and steps arrive over the live stream.
    await page.waitForSelector('#steps li[data-step=build]', { timeout: 120_000 });
    await waitForJobState(page, 'succeeded');
    expect(await page.textContent('#outcome')).toContain('Succeeded');
    const id = page.url().split('/').pop()!;
    const stored = (await api('GET', `/api/jobs/${id}`)).body.job;
    expect(await shownLines(page)).toBe(stored.log_entries);
    expect(await page.getAttribute('#download', 'href')).toBe(`/api/jobs/${id}/logs.txt`);
    await screenshot(page, 'job-succeeded');
    await page.goto(`${fleet.url}/fleet`);
    await page.waitForSelector('tr[data-hive=local] .badge.online');
    await page.waitForFunction(() =>
      document.querySelector('tr[data-hive=local]')?.textContent?.includes('rbee-hello-worker'),
    );
  });

  it('uninstalls the demo worker from the catalog', async () => {
    await page.goto(`${fleet.url}/catalog`);
    const row = 'section[data-worker=rbee-hello-worker] tr[data-hive=local]';
    await page.waitForSelector(`${row} button.danger`);
    expect(await page.textContent(row)).toContain('1.0.0-1 installed');
    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([page.waitForURL(/\/jobs\/job_/), page.click(`${row} button.danger`)]);
    await waitForJobState(page, 'succeeded');
    expect(await page.textContent('#job-title')).toBe('Uninstall rbee-hello-worker');
    const hive = (await api('GET', '/api/hives/local')).body;
    expect(hive.installed.map((w: { id: string }) => w.id)).not.toContain('rbee-hello-worker');
  });

  it('starts a rollout with limits from the catalog and shows its progress to the end', async () => {
    await page.goto(`${fleet.url}/catalog`);
    const card = 'section[data-worker=test-failing-worker]';
    await page.waitForSelector(`${card} tr[data-hive=local]`);
    await page.check(`${card} input[name=hive][value^=hive_]`);
    await page.fill(`${card} input[name=max_concurrency]`, '1');
    await page.fill(`${card} input[name=max_errors]`, '1');
    await Promise.all([page.waitForURL(/\/rollouts\/ro_/), page.click(`${card} button.primary`)]);
    await page.waitForFunction(
      () => document.querySelector('#rollout-summary')?.textContent?.startsWith('1 of 1 finished'),
      null,
      { timeout: 120_000 },
    );
    expect(await page.textContent('#rollout-summary')).toContain('0 succeeded, 1 failed');
    expect(await page.textContent('#rollout-note')).toContain('at most 1 at once');
    expect(await page.textContent('#rollout-jobs tbody')).toContain('failed at build');
    await screenshot(page, 'rollout');
    await page.goto(`${fleet.url}/rollouts`);
    await page.waitForSelector('#rollouts tr[data-rollout^=ro_]');
    await screenshot(page, 'rollouts');
  });

  it('cancels a rollout from its page: the build out is stopped, the waiting job never starts', async () => {
    const local = (await api('GET', '/api/hives/local')).body;
    const ghost = (await api('POST', '/api/hives', { name: 'ghost' })).body; // never connects
    const res = await api('POST', '/api/installs', {
      force: true,
      hives: [local.id, ghost.id],
      worker: 'test-slow-worker',
      max_concurrency: 1,
    });
    expect(res.status).toBe(201);
    const { rollout } = res.body;
    await page.goto(`${fleet.url}/rollouts/${rollout.id}`);
    await page.waitForSelector('#rollout-jobs tr .badge.running', { timeout: 120_000 });
    // Running starts with the steps before the build (fetch, verify, the package cache): the
    // cancel is meant for the build itself.
    await expect
      .poll(
        async () =>
          (await api('GET', '/api/jobs?limit=1000')).body.jobs.find(
            (j: { rollout?: string; hive: string }) =>
              j.rollout === rollout.id && j.hive === local.id,
          )?.step,
        { timeout: 120_000 },
      )
      .toBe('build');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#cancel-rollout');
    await page.waitForFunction(
      () => document.querySelector('#rollout-summary')?.textContent?.startsWith('2 of 2 finished'),
      null,
      { timeout: 120_000 },
    );
    expect(await page.textContent('#rollout-summary')).toContain(
      '0 succeeded, 0 failed, 2 cancelled',
    );
    expect(await page.textContent('#rollout-note')).toContain('cancelled by an admin');
    expect(await page.isHidden('#cancel-rollout')).toBe(true);
    expect(await page.getAttribute('#rollout-state', 'data-state')).toBe('stopped');
    const rows = await page.$$eval('#rollout-jobs tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    const byHive = Object.fromEntries(rows.map((r) => [r[0], r.slice(2)]));
    expect(byHive).toEqual({
      local: ['cancelled', 'cancelled during build'],
      ghost: ['cancelled', ''],
    });
    const jobs = (await api('GET', `/api/jobs?limit=1000`)).body.jobs.filter(
      (j: { rollout?: string }) => j.rollout === rollout.id,
    );
    const ghostJob = jobs.find((j: { hive: string }) => j.hive === ghost.id);
    expect(ghostJob).toMatchObject({ state: 'cancelled', held: true });
    await screenshot(page, 'rollout-cancelled');
  });

  it('stops following when the reader scrolls up, jumps back to the end, and cancels a long build', async () => {
    const id = await install('test-slow-worker');
    await page.goto(`${fleet.url}/jobs/${id}`);
    await page.waitForFunction(
      () => document.querySelector('#log')?.textContent?.includes('still building 3'),
      null,
      { timeout: 120_000 },
    );
    // More lines than the log box shows, so there is somewhere to scroll back to.
    await page.waitForFunction(
      () => document.querySelector('#log')?.textContent?.includes('still building 45'),
      null,
      { timeout: 120_000 },
    );
    expect(await page.isHidden('#jump-end')).toBe(true);
    await page.hover('#log');
    // A wheel scroll may be animated: its position is read once the scroll has ended.
    await page.evaluate(() => {
      const w = window as unknown as { __scrolled: Promise<void> };
      w.__scrolled = new Promise((done) =>
        document.querySelector('#log')!.addEventListener('scrollend', () => done(), { once: true }),
      );
    });
    await page.mouse.wheel(0, -300);
    await page.evaluate(() => (window as unknown as { __scrolled: Promise<void> }).__scrolled);
    await page.waitForSelector('#jump-end', { state: 'visible' });
    const top = await page.$eval('#log', (el) => el.scrollTop);
    const seen = await shownLines(page);
    // New lines arrive while the reader is scrolled up: the view stays where the reader put it.
    await page.waitForFunction(
      (n) => (window as unknown as { __rbeeLog: { count: number } }).__rbeeLog.count >= n + 5,
      seen,
    );
    expect(await page.$eval('#log', (el) => el.scrollTop)).toBe(top);
    await page.click('#jump-end');
    await page.waitForSelector('#jump-end', { state: 'hidden' });
    await page.waitForFunction(() => {
      const el = document.querySelector('#log')!;
      return el.scrollTop + el.clientHeight >= el.scrollHeight - 16;
    });
    await page.click('#cancel');
    await waitForJobState(page, 'cancelled');
    expect(await page.textContent('#outcome')).toContain('Cancelled during step build');
    expect(await page.isHidden('#cancel')).toBe(true);
    await screenshot(page, 'job-cancelled');
  });

  it("shows a failed build's step, exit code and last lines, with stderr told apart", async () => {
    const id = await install('test-failing-worker');
    await page.goto(`${fleet.url}/jobs/${id}`);
    await waitForJobState(page, 'failed');
    const outcome = await page.textContent('#outcome');
    expect(outcome).toContain('Failed: step build');
    expect(outcome).toContain('exit code 2');
    expect(outcome).toContain('compiling part 2');
    expect(await page.textContent('.ln.k1')).toContain('warning: something odd');
    expect(await page.getAttribute('#steps li[data-step=build]', 'class')).toBe('failed');
    await screenshot(page, 'job-failed');
    await page.goto(`${fleet.url}/jobs?state=failed`);
    await page.waitForSelector(`tr[data-job=${id}]`);
    await screenshot(page, 'jobs');
  });

  it('gets the whole log back after a reload in the middle of a 200,000-line build', async () => {
    const id = await install('test-lines-200k');
    // A scroll range of 1,000,000 px (62,500 rows): this log runs in the mode that maps the
    // scroll position onto the lines, as logs past ~900,000 lines do with the default range.
    await page.addInitScript(() => {
      (window as unknown as { __rbeeMaxPx: number }).__rbeeMaxPx = 1_000_000;
    });
    await page.goto(`${fleet.url}/jobs/${id}`);
    // Some thousands of lines are in: the reload comes in the middle of the build. (The page
    // follows the end, so line 5000 itself may never be in view when lines come in big batches.)
    await page.waitForFunction(
      () =>
        ((window as unknown as { __rbeeLog?: { count: number } }).__rbeeLog?.count ?? 0) >= 5000,
      null,
      { timeout: 120_000 },
    );
    await page.reload();
    await waitForJobState(page, 'succeeded', 60_000);
    const stored = (await api('GET', `/api/jobs/${id}`)).body.job;
    expect(await shownLines(page)).toBe(stored.log_entries);
    // Only the rows in view are in the DOM.
    expect(await page.locator('.ln').count()).toBeLessThan(200);
    // Search finds one line among 200,000 and scrolls to it; following stops.
    await page.fill('#log-search', 'line 123456');
    await page.waitForSelector('.ln.cur');
    expect(await page.textContent('.ln.cur')).toContain('line 123456');
    expect(await page.textContent('#search-count')).toBe('1 match');
    expect(await page.isVisible('#jump-end')).toBe(true);
    await screenshot(page, 'job-search');
    await page.click('#jump-end');
    await page.waitForSelector('#jump-end', { state: 'hidden' });
    expect(await page.textContent('#log')).toContain('==> cleanup end');
    expect(await page.$eval('#log-spacer', (el) => (el as HTMLElement).offsetHeight)).toBe(
      1_000_000,
    );
  });

  it('signs out: the cookie no longer opens the API', async () => {
    await page.goto(`${fleet.url}/fleet`);
    await Promise.all([page.waitForURL(`${fleet.url}/login`), page.click('.signout button')]);
    const status = await page.evaluate(async () => (await fetch('/api/hives')).status);
    expect(status).toBe(401);
  });
});
