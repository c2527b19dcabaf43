/**
 * Headless Chromium for the UI tests: Debian's /usr/bin/chromium driven by
 * playwright-core (no browser download), closed after the test.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { track } from './track.js';

export async function openBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return track(browser, (b) => b.close());
}

/** A page with a laptop-sized viewport; page errors go to `errors` for the test to check. */
export async function openPage(
  browser: Browser,
  errors: string[] = [],
  colorScheme: 'light' | 'dark' = 'light',
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, colorScheme });
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  return page;
}
