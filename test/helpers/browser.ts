/**
 * Headless Chromium for the UI tests: Debian's /usr/bin/chromium driven by
 * playwright-core (no browser download), closed after the test.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { spawnAgent } from './agents.js';
import { testRedisUrl } from './hooks.js';
import { track } from './track.js';

/** `extraArgs`: more Chromium flags (`--host-resolver-rules` to give a test name an address). */
export async function openBrowser(extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      ...extraArgs,
    ],
  });
  return track(browser, (b) => b.close());
}

/**
 * A page with a laptop-sized viewport; page errors, and anything the UI's
 * Content-Security-Policy refused (SPEC §18), go to `errors` for the test
 * to check.
 */
export async function openPage(
  browser: Browser,
  errors: string[] = [],
  colorScheme: 'light' | 'dark' = 'light',
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, colorScheme });
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('Content Security Policy')) errors.push(m.text());
  });
  return page;
}

/** One agent on the test Redis (a fresh prefix) and a page to look at it; errors as openPage's. */
export async function agentAndPage(node = 'n1') {
  const agent = await spawnAgent({ node, redisUrl: testRedisUrl(), prefix: `jt-${randomUUID()}` });
  const errors: string[] = [];
  const page = await openPage(await openBrowser(), errors);
  return { agent, page, errors };
}
