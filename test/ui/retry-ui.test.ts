/**
 * A retrying job in real headless Chromium (SPEC §14): while its next try
 * waits, its row says `attempt 2/3` and when the retry comes, and the
 * timeline draws the failed try beside the one that counts.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/agents.js';
import { agentAndPage } from '../helpers/browser.js';
import { http } from '../helpers/http.js';

describe('ui: a retrying job in a real browser', function () {
  this.timeout(60000);

  it('shows the attempt, the wait, and each try on the timeline', async () => {
    const { agent, page, errors } = await agentAndPage();
    const gate = join(tempDir(), 'gate');
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'git fetch',
        type: 'shell',
        // the first try fails; the second waits 2 s, then runs until the gate opens
        params: {
          command: `[ -e ${gate}.1 ] || { touch ${gate}.1; exit 1; }; while [ ! -e ${gate} ]; do sleep 0.05; done`,
        },
        retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 2000 } },
      },
    });
    const root = body.root as string;
    await page.goto(`${agent.url}/#/trees/${root}`);
    const row = page.locator(`[data-job="${root}"] > .row`);
    await row.locator('.attempt', { hasText: 'attempt 2/3 · retry at' }).waitFor();
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.locator('.tl-bar.tl-attempt').first().waitFor();
    expect(await page.locator('.tl-bar.tl-attempt').count()).to.equal(1);
    await page.getByRole('tab', { name: 'Jobs' }).click();
    // the second try starts: the wait is gone, the attempt stays
    await row.locator('.badge', { hasText: 'RUNNING' }).waitFor({ timeout: 10000 });
    expect((await row.locator('.attempt').textContent())?.trim()).to.equal('attempt 2/3');
    writeFileSync(gate, '');
    await row.locator('.badge', { hasText: 'SUCCESS' }).waitFor({ timeout: 10000 });
    expect(errors).to.deep.equal([]);
  });
});
