/**
 * The UI through a reverse proxy (SPEC §18): a browser that reaches the
 * agent at a name of `auth.allowedHosts` lists trees, follows a log live
 * over socket.io and aborts a tree, all through the proxy; the same proxy
 * in front of an agent that does not name it gets 403 BAD_HOST, page and
 * websocket alike (what a rebound name gets too).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { spawnAgent } from '../helpers/agents.js';
import { openBrowser, openPage } from '../helpers/browser.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { startProxy } from '../helpers/proxy.js';

const NAME = 'jobs.jobtree.test';

describe('ui: through a reverse proxy (§18)', function () {
  this.timeout(60000);

  it('works at a name of auth.allowedHosts, and is refused at any other', async () => {
    const prefix = `jt-${randomUUID()}`;
    const agent = await spawnAgent({
      node: 'web-1',
      redisUrl: testRedisUrl(),
      prefix,
      env: { JOBTREE_ALLOWED_HOSTS: NAME },
    });
    const made = await http(agent.url, 'POST', '/api/v1/trees', {
      tags: { application: 'proxied' },
      job: {
        title: 'Talk through the proxy',
        type: 'shell',
        params: { command: 'for i in $(seq 1 300); do echo "tick $i"; sleep 0.1; done' },
      },
    });
    const root = made.body.root as string;
    const port = await startProxy(agent.url);
    const browser = await openBrowser([`--host-resolver-rules=MAP ${NAME} 127.0.0.1`]);
    const errors: string[] = [];
    const page = await openPage(browser, errors);
    await page.goto(`http://${NAME}:${port}/#/?tag=application:proxied`);
    await page.getByRole('link', { name: 'Talk through the proxy' }).click();
    await page.getByRole('button', { name: 'Log of Talk through the proxy' }).click();
    await page.locator('.log .line', { hasText: 'tick 3' }).first().waitFor(); // socket.io, proxied
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Abort tree' }).click(); // a POST, proxied
    await page.locator('h1 .badge', { hasText: 'ABORTED' }).waitFor();
    expect((await http(agent.url, 'GET', `/api/v1/trees/${root}`)).body.state).to.equal('ABORTED');
    expect(errors).to.deep.equal([]);

    const other = await spawnAgent({ node: 'web-2', redisUrl: testRedisUrl(), prefix });
    const refusedPort = await startProxy(other.url);
    const refused = await page.goto(`http://${NAME}:${refusedPort}/`);
    expect(refused?.status()).to.equal(403);
    expect(await refused?.text()).to.include('BAD_HOST');
  });
});
