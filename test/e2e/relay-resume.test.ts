/**
 * A relayed log survives its upstream dropping (issue 3): the node that
 * runs the job is killed and started again while a client follows through
 * another node (killed, so the stream is cut mid-file); the relay
 * reconnects and resumes from its next byte, and the client gets the
 * owner's file exactly. The job itself runs on under its supervisor (SPEC
 * §16), so the stream goes on past the restart until the tree is aborted.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';
import { freePort } from '../helpers/redis.js';
import { makeStore } from '../helpers/store.js';

describe('e2e: relay across an owner restart', function () {
  this.timeout(60000);

  it('resumes from the next byte after the upstream comes back', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const log = await collectEvents(store);
    const ownerDir = tempDir();
    const ownerPort = await freePort();
    const a = await spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix });
    const b = await spawnAgent({
      node: 'b',
      redisUrl: testRedisUrl(),
      prefix,
      dataDir: ownerDir,
      port: ownerPort,
      env: { JOBTREE_SHUTDOWN_GRACE_MS: '300' },
    });
    const { body } = await http(a.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'talk',
        type: 'shell',
        node: 'b',
        params: { command: 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.02; done' },
      },
    });
    const socket = await connect(a.url);
    const got = follow(socket, body.root, 0);
    await until(() => got.text.includes('tick 10'), 'some ticks');
    await b.kill9(); // the upstream drops mid-stream; the job's log stops where the process died
    const cut = got.next;
    const b2 = await spawnAgent({
      node: 'b',
      redisUrl: testRedisUrl(),
      prefix,
      dataDir: ownerDir,
      port: ownerPort,
    });
    await until(() => got.text.includes('re-attached by b'), 'the stream on past the restart');
    await http(b2.url, 'POST', `/api/v1/trees/${body.root}/abort`);
    const end = await until(() => got.end, 'log:end after the abort');
    const file = await http(b2.url, 'GET', `/api/v1/jobs/${body.root}/log`);
    expect(got.gaps).to.deep.equal([]);
    expect(got.text).to.equal(file.body);
    expect(end).to.deep.include({ state: 'ABORTED', size: Buffer.byteLength(got.text) });
    expect(cut).to.be.below(end.size);
    await log.until((e) => e.job === body.root && e.state === 'ABORTED');
  });
});
