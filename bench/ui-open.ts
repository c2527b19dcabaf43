/**
 * The UI figure of issue 16 (SPEC §17): how long the tree page of a
 * 100,000-job tree takes to open in headless Chromium, from navigation to
 * the root's "more children" line, with the rows it drew and the page's
 * JS heap. One agent process (the rig); the leaves wait for a node that
 * has no agent, so the tree stays as submitted.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { nowMs, Rig, round } from './rig.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function uiOpenFigures(
  redisUrl: string,
  prefix: string,
): Promise<Record<string, number | string>> {
  if (!existsSync(CHROMIUM)) return { skipped: `no browser at ${CHROMIUM}` };
  const rig = await Rig.start(redisUrl, prefix, 1);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const children = Array.from({ length: 99_999 }, (_, i) => ({
      title: `host ${i}`,
      type: 'noop',
      node: 'far',
    }));
    const root = await rig.submit({ title: 'big', type: 'noop', node: 'far', children });
    const page = await (
      await browser.newContext({ viewport: { width: 1400, height: 860 } })
    ).newPage();
    const t0 = nowMs();
    await page.goto(`${rig.url}/#/trees/${root}`);
    await page
      .locator(`[data-job="${root}"] > .more-children`)
      .waitFor({ state: 'attached', timeout: 60_000 });
    const openMs = nowMs() - t0;
    const heap = await page.evaluate(
      () =>
        (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory
          ?.usedJSHeapSize ?? 0,
    );
    return {
      jobs: 100_000,
      ui_open_ms: round(openMs),
      rows_drawn: await page.locator('li.job').count(),
      page_heap_mb: round(heap / 1e6, 1),
    };
  } finally {
    await browser.close();
    await rig.stop();
  }
}
