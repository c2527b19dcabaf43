/**
 * Drain from the nodes page (SPEC §16) in real headless Chromium: the
 * button drains a node (its state shows, and the API says so) and
 * undrains it again.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { spawnAgent } from '../helpers/agents.js';
import { openBrowser, openPage } from '../helpers/browser.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

describe('ui: nodes in a real browser', function () {
  this.timeout(60000);

  it('drains and undrains a node from its row', async () => {
    const agent = await spawnAgent({
      node: 'web-1',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
    });
    const errors: string[] = [];
    const page = await openPage(await openBrowser(), errors);
    await page.goto(`${agent.url}/#/nodes`);
    const row = page.locator('tr[data-node="web-1"]');
    await row.getByRole('button', { name: 'Drain web-1' }).click();
    await row.locator('.badge', { hasText: 'drained' }).waitFor();
    const state = async () => (await http(agent.url, 'GET', '/api/v1/nodes')).body.nodes[0].state;
    expect(await state()).to.equal('drained');
    await row.getByRole('button', { name: 'Undrain web-1' }).click();
    await waitFor(async () => (await state()) === 'active');
    await row.getByRole('button', { name: 'Drain web-1' }).waitFor();
    expect(errors).to.deep.equal([]);
  });
});
