/**
 * The cluster token of SPEC §10 across real agent processes: 401 without it
 * or with a wrong one; the CLI, a relayed `tail -f` and the proxied log
 * route work with it across nodes (node-to-node calls carry it); and it
 * never appears in any agent's output, even at debug level.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { runCli, spawnAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';

describe('e2e: the cluster token (§10)', function () {
  this.timeout(60000);

  it('guards HTTP, socket.io and relays, and is never logged', async () => {
    const prefix = `jt-${randomUUID()}`;
    const token = `tok-${randomUUID()}`;
    const env = { JOBTREE_TOKEN: token, JOBTREE_LOG_LEVEL: 'debug' };
    const store = makeStore(testRedisUrl(), prefix);
    const log = await collectEvents(store);
    const [a, b] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix, env })),
    );
    const tree = {
      job: { title: 'on b', type: 'shell', node: 'b', params: { command: 'echo secret-free' } },
    };
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

    const none = await http(a!.url, 'POST', '/api/v1/trees', tree);
    expect(none.status).to.equal(401);
    expect(none.body.error.code).to.equal('UNAUTHORIZED');
    const wrong = await http(a!.url, 'POST', '/api/v1/trees', tree, bearer(`${token}x`));
    expect(wrong.status).to.equal(401);
    expect((await store.listTrees({ tags: [], limit: 5 })).trees).to.deep.equal([]);

    const ok = await http(a!.url, 'POST', '/api/v1/trees', tree, bearer(token));
    expect(ok.status).to.equal(201);
    const id = ok.body.root as string;
    await log.until((e) => e.job === id && e.state === 'SUCCESS');

    // a relays b's log over socket.io, and proxies b's log route, both with the token
    const tail = await runCli(['--server', a!.url, '--token', token, 'tail', '-f', id]);
    expect(tail.code).to.equal(0);
    expect(tail.stdout).to.match(/ stdout secret-free\n/);
    const proxied = await http(a!.url, 'GET', `/api/v1/jobs/${id}/log`, undefined, bearer(token));
    expect(proxied.status).to.equal(200);
    expect(proxied.body).to.equal(tail.stdout);
    const refused = await runCli(['--server', a!.url, '--token', 'not-the-token', 'ls']);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/UNAUTHORIZED/);
    const socket = await connect(b!.url, 'not-the-token').catch((e: Error) => e);
    expect(socket).to.be.instanceOf(Error);

    for (const agent of [a!, b!]) expect(agent.output()).to.not.include(token);
  });
});
