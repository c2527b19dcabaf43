/**
 * A job's log read from another node (SPEC §7 GET /jobs/:id/log): the
 * agent proxies to the owner; `jobtree tail` prints it; an owner that is
 * gone leaves the log in its archive (SPEC §19).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { runCli, spawnAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('e2e: logs from any node', function () {
  this.timeout(60000);

  it('serves a job log of node b through node a, over HTTP and `jobtree tail`', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const log = await collectEvents(store);
    const [a, b] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const { body } = await http(a!.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'on b',
        type: 'shell',
        node: 'b',
        params: { command: 'for i in 1 2 3; do echo line $i; done' },
      },
    });
    await log.until((e) => e.job === body.root && e.state === 'SUCCESS');
    const viaA = await waitFor(async () => {
      const r = await http(a!.url, 'GET', `/api/v1/jobs/${body.root}/log`);
      return r.headers.get('x-log-complete') === 'true' && r;
    });
    const direct = await http(b!.url, 'GET', `/api/v1/jobs/${body.root}/log`);
    expect(viaA.body).to.equal(direct.body);
    expect(viaA.headers.get('x-job-node')).to.equal('b');
    expect(viaA.body).to.match(/ stdout line 1\n.* stdout line 2\n.* stdout line 3\n/s);
    const cli = await runCli(['--server', a!.url, 'tail', body.root]);
    expect(cli.code).to.equal(0);
    expect(cli.stdout).to.equal(direct.body);

    // SPEC §19: the owner gone, its archive answers (with archives off: 503, test/api/log-archive.test.ts)
    expect(await b!.stop()).to.equal(0);
    const gone = await http(a!.url, 'GET', `/api/v1/jobs/${body.root}/log`);
    expect(gone.status).to.equal(200);
    expect(gone.headers.get('x-log-source')).to.equal('archive');
    expect(gone.body).to.equal(direct.body);
  });
});
