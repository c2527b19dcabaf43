/**
 * The definitions UI (SPEC §13) in real headless Chromium against a real
 * agent process: the Definitions page with each one's last run, a
 * definition's page with its versions diffed, the Run form made from the
 * params schema showing a 400 next to its field, and a run that opens its
 * tree. Saves the README's screenshots of both pages.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { spawnAgent } from '../helpers/agents.js';
import { openBrowser, openPage } from '../helpers/browser.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

const definition = (title: string) => ({
  description: 'Deploy the shop to its hosts',
  params: {
    type: 'object',
    required: ['version', 'hosts'],
    properties: {
      version: { type: 'integer', minimum: 1, examples: [43] },
      hosts: { type: 'array', items: { type: 'string' }, examples: [['ui']] },
      env: { enum: ['prod', 'staging'], default: 'staging' },
      dry: { type: 'boolean', description: 'only say what would happen' },
    },
  },
  maxConcurrentRuns: 1,
  tree: {
    job: {
      title: title,
      type: 'noop',
      children: [
        {
          $each: 'params.hosts',
          as: 'h',
          job: {
            title: 'start on ${h} (${params.env})',
            type: 'sleep',
            node: '${h}',
            params: { ms: 50 },
          },
        },
      ],
    },
  },
});

describe('ui: definitions in a real browser', function () {
  this.timeout(90000);

  it('lists definitions, diffs versions, and runs one from its form, showing a 400 at its field', async () => {
    const prefix = `jt-${randomUUID()}`;
    const agent = await spawnAgent({ node: 'ui', redisUrl: testRedisUrl(), prefix });
    await http(
      agent.url,
      'PUT',
      '/api/v1/definitions/deploy-shop',
      definition('Deploy shop ${params.version}'),
    );
    const v2 = await http(
      agent.url,
      'PUT',
      '/api/v1/definitions/deploy-shop',
      definition('Deploy shop v${params.version}'),
    );
    expect(v2.body.version).to.equal(2);
    const errors: string[] = [];
    const page = await openPage(await openBrowser(), errors);

    await page.goto(`${agent.url}/#/definitions`);
    const row = page.locator('tr[data-definition="deploy-shop"]');
    await row.getByText('never run').waitFor();
    expect(await row.locator('td').nth(1).textContent()).to.equal('2');
    await row.getByRole('link', { name: 'deploy-shop' }).click();

    // the versions' diff: the title changed between 1 and 2
    const diff = page.locator('.diff');
    await diff.locator('.removed', { hasText: 'Deploy shop ${params.version}' }).waitFor();
    await diff.locator('.added', { hasText: 'Deploy shop v${params.version}' }).waitFor();

    // the form, from the schema; a bad value comes back next to its field
    const form = page.getByRole('form', { name: 'Run deploy-shop' });
    expect(await form.locator('#param-env option').allTextContents()).to.deep.equal([
      '(default)',
      'prod',
      'staging',
    ]);
    await form.locator('#param-version').fill('0');
    await form.locator('#param-hosts').fill('ui\nui');
    await form.getByRole('button', { name: 'Run' }).click();
    const fieldError = form.locator('[data-field="version"] .field-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).to.include('params.version');
    expect(await form.locator('[data-field="hosts"] .field-error').count()).to.equal(0);
    await page.screenshot({ path: `${DOCS}ui-run-form.png` });

    await form.locator('#param-version').fill('43');
    await form.locator('#param-env').selectOption('prod');
    await form.getByRole('button', { name: 'Run' }).click();
    await page.waitForURL(/#\/trees\/[0-9a-f-]{36}$/);
    const root = page.url().split('/').pop() as string;
    await page.locator(`[data-job="${root}"] > .row .badge`, { hasText: 'SUCCESS' }).waitFor();
    expect(await page.getByText('start on ui (prod)').count()).to.equal(2);

    // back on its page, the run is listed; on the list, it is the last run
    await page.goto(`${agent.url}/#/definitions/deploy-shop`);
    await page.locator(`tr[data-run="${root}"] .badge`, { hasText: 'SUCCESS' }).waitFor();
    await page.goto(`${agent.url}/#/definitions`);
    await page
      .locator('tr[data-definition="deploy-shop"] .badge', { hasText: 'SUCCESS' })
      .waitFor();
    await page.screenshot({ path: `${DOCS}ui-definitions.png` });
    expect(errors).to.deep.equal([]);
  });
});
