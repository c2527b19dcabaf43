/**
 * A `*` job whose agent is killed mid-try is tried again on another agent
 * (SPEC §14 with §9): the reaper's NODE_LOST is a failed try like any
 * other, and the job, free to run anywhere, ends SUCCESS on the survivor.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('e2e: a retry on another node', function () {
  this.timeout(60000);

  it('retries a * job on the surviving agent after its first agent is killed', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const events = await collectEvents(store);
    const env = { JOBTREE_HEARTBEAT_TTL_MS: '1500' };
    const agents = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix, env })),
    );
    const mark = join(tempDir(), 'first-try');
    const command = `if [ -e ${mark} ]; then echo "again on $JOBTREE_NODE"; else touch ${mark}; sleep 60; fi`;
    const { body } = await http(agents[0]!.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'anywhere',
        type: 'shell',
        node: '*',
        params: { command },
        retry: { attempts: 2 },
      },
    });
    const root = body.root as string;
    const started = await events.until((e) => e.job === root && e.state === 'RUNNING');
    const first = agents.find((a) => a.node === started.node)!;
    const survivor = agents.find((a) => a !== first)!;
    await waitFor(() => existsSync(mark), { what: 'the first try under way' }); // RUNNING is the claim
    await first.kill9();
    const done = await events.until((e) => e.job === root && e.state === 'SUCCESS', 20000);
    expect(done.node).to.equal(survivor.node);
    const job = await store.getJob(root);
    expect(job.attempt).to.equal(2);
    expect(job.attempts?.map((a) => [a.node, a.error.code])).to.deep.equal([
      [first.node, 'NODE_LOST'],
    ]);
    const log = await http(survivor.url, 'GET', `/api/v1/jobs/${root}/log`);
    expect(log.body).to.include(`stdout again on ${survivor.node}`);
    expect(log.body).to.include('--- attempt 2 of 2 ---');
    const shown = await runCli(['--server', survivor.url, 'show', root]);
    expect(shown.stdout).to.match(
      new RegExp(`anywhere \\[SUCCESS\\] @${survivor.node} \\(attempt 2/2\\)`),
    );
  });
});
