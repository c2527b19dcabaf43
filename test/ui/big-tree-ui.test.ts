/**
 * A 100,000-job tree in real headless Chromium (SPEC §17): the page gets a
 * paged snapshot (the root and its first 1,000 children), draws the rows
 * near the viewport only and more as they scroll into view, folds a
 * subtree with its counts (unfolding fetches its children), says how many
 * more children there are, loads the next page on a click, finds any job
 * by title, and draws the big job's children on the timeline as one row.
 * Prints how long the page took to draw and the page's heap; saves the
 * README's screenshot.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { agentAndPage } from '../helpers/browser.js';
import { http } from '../helpers/http.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

describe('ui: a 100,000-job tree in a real browser', function () {
  this.timeout(90000);

  it('draws a 100,000-job tree as it scrolls, folds, finds by title, and pages on a click', async () => {
    const { agent, page, errors } = await agentAndPage();
    // node "far" has no agent: the leaves stay queued
    const hosts = Array.from({ length: 99_993 }, (_, i) => ({
      title: `host ${i}`,
      type: 'noop',
      node: 'far',
    }));
    const tier = {
      title: 'db tier',
      type: 'noop',
      node: 'far',
      children: Array.from({ length: 5 }, (_, i) => ({
        title: `db ${i}`,
        type: 'noop',
        node: 'far',
      })),
    };
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'Deploy 99,993 hosts', type: 'noop', node: 'far', children: [tier, ...hosts] },
    });
    const root = body.root as string;
    const started = Date.now();
    await page.goto(`${agent.url}/#/trees/${root}`);
    const more = page.locator(`[data-job="${root}"] > .more-children`);
    await more.waitFor({ state: 'attached', timeout: 30000 });
    const openMs = Date.now() - started;
    // rows as they scroll into view: the page's first 1,000 children are not all drawn at once
    const drawn = await page.locator('li.job').count();
    expect(drawn).to.be.within(2, 400);
    expect(await more.locator('.meta').textContent()).to.equal(
      '98,994 more children — subtree: WAITING 2, QUEUED 99,998',
    );
    const heapMb = await page.evaluate(
      () =>
        ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory
          ?.usedJSHeapSize ?? 0) / 1e6,
    );
    console.log(
      `      opened in ${openMs} ms (${drawn} rows drawn), page heap ${heapMb.toFixed(0)} MB`,
    );
    await page.screenshot({ path: `${DOCS}ui-big-tree.png` });

    // the subtree starts folded with its counts; unfolding fetches its children
    const dbTier = page.locator('li.job', { has: page.locator('> .row', { hasText: 'db tier' }) });
    expect(await dbTier.locator('> .row .subtree-counts').textContent()).to.equal(
      '5 children · WAITING 1, QUEUED 5',
    );
    await dbTier.getByRole('button', { name: 'Unfold db tier' }).click();
    await dbTier.locator('li.job', { hasText: 'db 4' }).waitFor();

    // the rest of the page's rows come as they are scrolled to
    await more.scrollIntoViewIfNeeded();
    await page.locator('[data-job] > .row', { hasText: /^.*host 998(?!\d)/ }).waitFor();
    expect(await page.locator('li.job').count()).to.equal(1 + 1000 + 5);
    await more.getByRole('button', { name: 'Show 1,000 more' }).click();
    await more.locator('.meta', { hasText: /^97,994 more children/ }).waitFor();
    await more.scrollIntoViewIfNeeded(); // the new page's rows, too, are drawn where they are seen
    await page.locator(`[data-job] > .row`, { hasText: 'host 1998' }).waitFor();

    // a job of a page never drawn, found by its title
    await page.getByRole('searchbox', { name: 'Find jobs by title' }).fill('host 98765');
    await page.getByRole('button', { name: 'Find' }).click();
    const found = page.getByLabel('Jobs found');
    await found.locator('li', { hasText: 'host 98765' }).waitFor();
    expect(await found.locator('li').count()).to.equal(1);

    // the timeline: the root's 99,994 children as one row with their states
    await page.getByRole('tab', { name: 'Timeline' }).click();
    const group = page.locator('.tl-row.tl-group');
    expect(await group.locator('.tl-name').textContent()).to.match(
      /^99,994 children of Deploy 99,993 hosts/,
    );
    expect(await group.locator('.tl-counts').textContent()).to.equal('WAITING 1, QUEUED 99,998');
    expect(await page.locator('.tl-row').count()).to.equal(2);
    expect(errors).to.deep.equal([]);
  });
});
