import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { repoRoot, tempDir } from '../support/edge-process.ts';
import { ADMIN } from '../support/in-process-edge.ts';

export const artifacts = join(repoRoot, 'test', 'artifacts');

/** Debian's Chromium, headless, with a fresh profile (Playwright's own download is not used). */
export async function launchBrowser(extraArgs: string[] = []): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(tempDir('chromium'), {
    executablePath: '/usr/bin/chromium',
    // Chromium's start is many processes: far slower than Playwright's 30 s on a loaded machine.
    timeout: 180_000,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
    viewport: { width: 1280, height: 860 },
  });
  // Every wait is on an event (a selector, a navigation); the limit only bounds a failure.
  context.setDefaultTimeout(120_000);
  return context;
}

/** Saves a full-page screenshot as test/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, url: string, token = ADMIN) {
  await page.goto(`${url}/`);
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(`${url}/fleet`), page.click('button[type=submit]')]);
}

/** Waits until the job page's live state badge shows `state`. */
export async function waitForJobState(page: Page, state: string, timeout = 120_000) {
  await page.waitForSelector(`#job-state[data-state="${state}"]`, { timeout });
}

/** The number of log lines the job page holds (not the number of rows in the DOM). */
export const shownLines = (page: Page) =>
  page.evaluate(() => (window as unknown as { __rbeeLog: { count: number } }).__rbeeLog.count);
