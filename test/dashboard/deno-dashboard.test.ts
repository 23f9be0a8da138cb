import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, startDenoEdge } from '../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  fixtureCatalog,
  startAgentProcess,
} from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { launchBrowser, screenshot, shownLines, signIn, waitForJobState } from './browser.ts';

/** Each test runs real builds through real processes: minutes on a loaded machine. */
const REAL_BUILD_LIMIT_MS = 300_000;

/** The same dashboard served by the edge under Deno, with a real agent process. */
let edge: EdgeProcess;
let agent: AgentProcess;
let browser: BrowserContext;
let page: Page;
const api = adminApi(() => edge.url);

beforeAll(async () => {
  [edge, browser] = await Promise.all([
    startDenoEdge(['--catalog', fixtureCatalog], { RBEE_ADMIN_TOKEN: ADMIN }),
    launchBrowser(),
  ]);
  const hive = await api('POST', '/api/hives', { name: 'deno-hive', labels: { runtime: 'deno' } });
  expect(hive.status).toBe(201);
  agent = startAgentProcess(edge.url, hive.body.token);
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop('SIGKILL');
  await edge?.stop('SIGKILL');
});

describe('dashboard on the Deno edge', { timeout: REAL_BUILD_LIMIT_MS }, () => {
  it('signs in, shows the hive online and follows a live build log, cancels it with the session CSRF token', async () => {
    await signIn(page, edge.url);
    await page.waitForSelector('tr[data-hive=deno-hive] .badge.online', { timeout: 120_000 });
    expect(await page.textContent('tr[data-hive=deno-hive]')).toContain('runtime=deno');
    const res = await api('POST', '/api/installs', {
      hive: 'deno-hive',
      worker: 'test-slow-worker',
    });
    expect(res.status).toBe(201);
    const id = res.body.job.id as string;
    await page.goto(`${edge.url}/jobs/${id}`);
    // Lines printed a tenth of a second apart reach the open page as they are printed.
    await page.waitForFunction(
      () => document.querySelector('#log')?.textContent?.includes('still building 5'),
      null,
      { timeout: 120_000 },
    );
    await screenshot(page, 'deno-job-live');
    const cancelled = await page.evaluate(async (job) => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name=csrf-token]')!.content;
      const r = await fetch(`/api/jobs/${job}/cancel`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrf },
      });
      return r.status;
    }, id);
    expect(cancelled).toBe(202);
    await waitForJobState(page, 'cancelled');
    const stored = (await api('GET', `/api/jobs/${id}`)).body.job;
    expect(await shownLines(page)).toBe(stored.log_entries);
  });

  it('renders ANSI colours as styles, tells stderr apart and says how a job failed', async () => {
    const hive = await api('POST', '/api/hives', { name: 'raw-hive' });
    const raw = new RawAgent(edge.url, hive.body.token);
    await raw.hello();
    const res = await api('POST', '/api/installs', {
      hive: 'raw-hive',
      worker: 'test-failing-worker',
    });
    const id = res.body.job.id as string;
    await raw.next('job');
    raw.send({ type: 'accept', job: id, duplicate: false });
    raw.send({ type: 'job_state', job: id, state: 'running', step: 'build' });
    const t = Date.now();
    raw.send({
      type: 'logs',
      job: id,
      entries: [
        { s: 0, t, k: 'step', step: 'build', phase: 'start' },
        { s: 1, t, k: 'o', x: '\x1b[1;32m   Compiling\x1b[0m foo v0.1.0' },
        { s: 2, t, k: 'e', x: '\x1b[38;5;196merror\x1b[39m: cannot find \x1b[4mbar\x1b[24m' },
        { s: 3, t, k: 'o', x: '\x1b[38;2;10;20;30mtrue colour\x1b[0m plain' },
        { s: 4, t, k: 'step', step: 'build', phase: 'end', ok: false, note: 'exit 101' },
      ],
    });
    raw.send({
      type: 'job_done',
      job: id,
      outcome: 'failed',
      total: 5,
      error: {
        message: 'build() failed with exit code 101',
        step: 'build',
        function: 'build',
        exit_code: 101,
        last_lines: ['error: cannot find bar'],
      },
    });
    await page.goto(`${edge.url}/jobs/${id}`);
    await waitForJobState(page, 'failed');
    const compiling = page.locator('.ln.k0 span.f2.a-b');
    expect(await compiling.textContent()).toBe('   Compiling');
    const stderr = page.locator('.ln.k1');
    expect(await stderr.count()).toBe(1);
    expect(await stderr.locator('span.a-u').textContent()).toBe('bar');
    expect(await stderr.locator('span:not(.n)').first().getAttribute('style')).toBe(
      'color: rgb(255, 0, 0);',
    );
    expect(
      await page
        .locator('.ln', { hasText: 'true colour' })
        .locator('span:not(.n)')
        .getAttribute('style'),
    ).toBe('color: rgb(10, 20, 30);');
    expect(await page.textContent('#log')).not.toContain('\x1b');
    const outcome = await page.textContent('#outcome');
    expect(outcome).toContain('Failed: step build, in build(), exit code 101');
    expect(outcome).toContain('error: cannot find bar');
    await screenshot(page, 'deno-job-ansi');
    raw.close();
  });
});
