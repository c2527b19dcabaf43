/**
 * SPEC §19 in real headless Chromium: a tree's "All logs" view merges the
 * live logs of its jobs on two nodes, each job in its own colour; filters
 * by source and text; stops following when the reader scrolls up; a click
 * on a line opens that job's log at that line; the search box finds text
 * in the tree's logs; and the trees list follows every tree of its tag
 * query in one stream. Saves the README's screenshots.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { spawnAgent } from '../helpers/agents.js';
import { openBrowser, openPage } from '../helpers/browser.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { until } from '../helpers/log-client.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

const ticker = (title: string, node: string, n: number) => ({
  title,
  type: 'shell',
  node,
  params: {
    command: `for i in $(seq 1 ${n}); do echo "${title} step $i"; [ $((i % 10)) = 0 ] && echo "${title}: connection refused, retrying" >&2; sleep 0.05; done`,
  },
});

describe('ui: all logs of a tree, and of a tag query (§19)', function () {
  this.timeout(90000);

  it('merges two nodes’ live logs, filters them, pauses on scroll, opens a line’s log, and searches', async () => {
    const prefix = `jt-${randomUUID()}`;
    const [a] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const errors: string[] = [];
    const page = await openPage(await openBrowser(), errors);
    const made = await http(a!.url, 'POST', '/api/v1/trees', {
      tags: { application: 'shop' },
      job: {
        title: 'deploy shop',
        type: 'noop',
        children: [ticker('web-1', 'a', 120), ticker('web-2', 'b', 120), ticker('cache', 'b', 40)],
      },
    });
    const root = made.body.root as string;
    await page.goto(`${a!.url}/#/trees/${root}?view=logs`);
    const lines = page.locator('.log.merged .line');
    await lines.filter({ hasText: 'web-1@a' }).first().waitFor();
    await lines.filter({ hasText: 'web-2@b' }).first().waitFor();
    // a job's lines in a colour of their own
    const colourOf = (who: string) =>
      lines.filter({ hasText: who }).first().locator('.who').getAttribute('class');
    expect(await colourOf('web-1@a')).to.not.equal(await colourOf('web-2@b'));

    // scrolled up while lines still come: it stops following, and says so
    await lines.filter({ hasText: 'web-1 step 30' }).waitFor({ state: 'attached' }); // more than a screen
    await page.locator('.log.merged').evaluate((el) => (el.scrollTop = 0));
    await page.getByRole('button', { name: 'Paused: follow the logs ↓' }).waitFor();
    const top = await page.locator('.log.merged').evaluate((el) => el.scrollTop);
    await lines.filter({ hasText: 'web-1 step 60' }).waitFor({ state: 'attached' });
    expect(await page.locator('.log.merged').evaluate((el) => el.scrollTop)).to.equal(top);

    // filters: stderr only, then a text
    await page.getByLabel('Source').selectOption('stderr');
    const visible = page.locator('.log.merged .line:not([hidden])');
    await visible.first().waitFor();
    for (const text of await visible.allTextContents())
      expect(text).to.include('connection refused');
    await page.getByLabel('Filter').fill('web-2');
    await until(
      async () => (await visible.allTextContents()).every((t) => t.includes('web-2@b')),
      'only web-2’s lines shown',
    );
    await page.getByLabel('Filter').fill('');
    await page.getByLabel('Source').selectOption('');
    await page.locator('.log-end').waitFor({ timeout: 30000 }); // the tree ended: so does the stream
    await page.locator('.log.merged').evaluate((el) => (el.scrollTop = 0));
    await page.getByRole('button', { name: 'Paused: follow the logs ↓' }).click();
    await until(
      () =>
        page
          .locator('.log.merged')
          .evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 24),
      'back at the end',
    );
    await page.screenshot({ path: `${DOCS}ui-all-logs.png` });

    // a click on a line opens its job's log at that line
    const line = lines.filter({ hasText: 'web-2 step 7' }).first();
    const offset = await line.getAttribute('data-offset');
    await line.click();
    await until(
      async () => ((await page.evaluate('location.hash')) as string).includes(`&at=${offset}`),
      'the log opened at the line',
    );
    const marked = page.locator('.log-panel .line.at-line');
    await marked.waitFor();
    expect(await marked.textContent()).to.include('web-2 step 7');

    // the search box: text in the tree's whole logs, each match opening its line
    await page.getByRole('tab', { name: 'All logs' }).click();
    await page.getByLabel('Search all logs').fill('connection refused');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const matches = page.getByRole('list', { name: 'Matches' }).locator('li');
    await matches.first().waitFor();
    expect(await matches.count()).to.equal(12 + 12 + 4);

    // the trees list follows every tree of its tag query in one stream
    await page.goto(`${a!.url}/#/?tag=application:shop`);
    await page.getByRole('link', { name: 'Follow all logs' }).click();
    await page.getByRole('heading', { name: 'All logs of application:shop' }).waitFor();
    const later = await http(a!.url, 'POST', '/api/v1/trees', {
      tags: { application: 'shop' },
      job: ticker('web-3', 'b', 5),
    });
    expect(later.status).to.equal(201);
    await page.locator('.log.merged .line', { hasText: 'web-3 step 5' }).waitFor();
    await page.screenshot({ path: `${DOCS}ui-follow-all.png` });
    expect(errors).to.deep.equal([]);
  });
});
