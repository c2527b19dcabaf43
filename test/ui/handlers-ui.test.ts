/**
 * A tree's failure handlers in real headless Chromium (SPEC §15): below the
 * tree, the section says they wait for its end; when the tree fails, the
 * handler tree appears there, live, with its compensation and onFailure
 * job, and the handler tree's own page links back to the tree it handles.
 * Saves the README's screenshot of the section.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/agents.js';
import { agentAndPage } from '../helpers/browser.js';
import { http } from '../helpers/http.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

describe('ui: failure handlers in a real browser', function () {
  this.timeout(60000);

  it('shows the handlers waiting, then their tree live once the tree fails', async () => {
    const { agent, page, errors } = await agentAndPage();
    const gate = join(tempDir(), 'gate');
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'switch the router',
        type: 'shell',
        params: { command: `while [ ! -e ${gate} ]; do sleep 0.05; done; exit 2` },
        children: [
          {
            title: 'deploy v2',
            type: 'noop',
            compensate: { type: 'shell', title: 'roll back v2', params: { command: 'true' } },
          },
        ],
      },
      onFailure: { title: 'post to #ops', type: 'noop' },
    });
    const root = body.root as string;
    const hroot = (body.handlers as { root: string }).root;
    await page.goto(`${agent.url}/#/trees/${root}`);
    const section = page.locator('section.handlers');
    await section.locator('.handlers-state[data-state="PENDING"]').waitFor();
    expect(await section.locator('[data-job]').count()).to.equal(0);
    writeFileSync(gate, '');
    const rollBack = section.locator('[data-job] > .row', { hasText: 'roll back v2' });
    await rollBack.locator('.badge', { hasText: 'SUCCESS' }).waitFor({ timeout: 15000 });
    const notify = section.locator('[data-job] > .row', { hasText: 'post to #ops' });
    await notify.locator('.badge', { hasText: 'SUCCESS' }).waitFor({ timeout: 15000 });
    await section.locator(`a[href="#/trees/${hroot}"]`).waitFor();
    await page.locator('h1 .badge', { hasText: 'FAILED' }).waitFor();
    await page.screenshot({ path: `${DOCS}ui-handlers.png` });
    await section.locator(`a[href="#/trees/${hroot}"]`).click();
    await page.locator(`.meta a[href="#/trees/${root}"]`, { hasText: `tree ${root}` }).waitFor();
    expect(await page.locator('.meta').first().textContent()).to.include(
      '(FAILED: switch the router)',
    );
    expect(errors).to.deep.equal([]);
  });
});
