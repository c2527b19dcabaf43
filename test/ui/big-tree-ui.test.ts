/**
 * A 100,000-job tree in real headless Chromium (SPEC §17): the page gets a
 * paged snapshot (the root and its first 1,000 children), draws those rows
 * only, says how many more there are with the subtree's counts, and loads
 * the next page on a click. Prints how long the page took to draw and the
 * page's heap; saves the README's screenshot.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { agentAndPage } from '../helpers/browser.js';
import { http } from '../helpers/http.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

describe('ui: a 100,000-job tree in a real browser', function () {
  this.timeout(90000);

  it('draws the first page of a 100,000-job tree, its counts, and the next page on a click', async () => {
    const { agent, page, errors } = await agentAndPage();
    // node "far" has no agent: the leaves stay queued
    const children = Array.from({ length: 99_999 }, (_, i) => ({
      title: `host ${i}`,
      type: 'noop',
      node: 'far',
    }));
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'Deploy 99,999 hosts', type: 'noop', node: 'far', children },
    });
    const root = body.root as string;
    const started = Date.now();
    await page.goto(`${agent.url}/#/trees/${root}`);
    const more = page.locator(`[data-job="${root}"] > .more-children`);
    await more.waitFor({ timeout: 30000 });
    const openMs = Date.now() - started;
    expect(await page.locator('li.job').count()).to.equal(1001);
    expect(await more.locator('.meta').textContent()).to.equal(
      '98,999 more children — subtree: WAITING 1, QUEUED 99,999',
    );
    const heapMb = await page.evaluate(
      () =>
        ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory
          ?.usedJSHeapSize ?? 0) / 1e6,
    );
    console.log(`      opened in ${openMs} ms, page heap ${heapMb.toFixed(0)} MB`);
    await page.screenshot({ path: `${DOCS}ui-big-tree.png` });
    await more.getByRole('button', { name: 'Show 1,000 more' }).click();
    await page.locator(`[data-job] > .row`, { hasText: 'host 1999' }).waitFor();
    expect(await page.locator('li.job').count()).to.equal(2001);
    expect(await more.locator('.meta').textContent()).to.match(/^97,999 more children/);
    expect(errors).to.deep.equal([]);
  });
});
