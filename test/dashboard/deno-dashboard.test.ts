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
import { launchBrowser, screenshot, shownLines, signIn, waitForJobState } from './browser.ts';

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

describe('dashboard on the Deno edge', () => {
  it('signs in, shows the hive online and follows a live build log, cancels it with the session CSRF token', async () => {
    await signIn(page, edge.url);
    await page.waitForSelector('tr[data-hive=deno-hive] .badge.online', { timeout: 20_000 });
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
      { timeout: 30_000 },
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
});
