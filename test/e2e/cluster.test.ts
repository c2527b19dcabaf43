/**
 * Three real agent processes on one Redis (SPEC §1, §3, §4, §8): a tree
 * runs leaf-first across nodes, an abort stops it, the CLI lists by tag.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { runCli, spawnAgent, type AgentProcess } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { collectEvents } from '../helpers/events.js';

async function cluster(prefix: string): Promise<AgentProcess[]> {
  return Promise.all(
    ['a', 'b', 'c'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
  );
}

describe('e2e: a three-node cluster', function () {
  this.timeout(60000);

  it('runs a deployment tree leaf-first across nodes and answers from any node', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const log = await collectEvents(store);
    const [a, b, c] = await cluster(prefix);
    const spec = {
      tags: { workspace: 'acme', application: 'shop', version: '7' },
      job: {
        title: 'switch router',
        type: 'shell',
        node: 'a',
        params: { command: 'echo switched' },
        children: [
          {
            title: 'start i1',
            type: 'shell',
            node: 'b',
            params: { command: 'echo started on $JOBTREE_NODE' },
            children: [
              {
                title: 'build',
                type: 'sleep',
                node: 'c',
                params: { ms: 100 },
                children: [{ title: 'fetch', type: 'noop', node: 'a' }],
              },
            ],
          },
          { title: 'start i2', type: 'shell', node: 'c', params: { argv: ['true'] } },
        ],
      },
    };
    const res = await http(b!.url, 'POST', '/api/v1/trees?wait=true&timeout=30', spec);
    expect(res.status).to.equal(200);
    expect(res.body.state).to.equal('SUCCESS');
    const events = log.events.filter((e) => e.root === res.body.root && e.state === 'RUNNING');
    const ranOn = Object.fromEntries(events.map((e) => [e.job, e.node]));
    const tree = (await http(c!.url, 'GET', `/api/v1/trees/${res.body.root}`)).body;
    expect(ranOn[tree.job.id]).to.equal('a');
    expect(ranOn[tree.job.children[0].id]).to.equal('b');
    expect(ranOn[tree.job.children[0].children[0].id]).to.equal('c');
    expect(ranOn[tree.job.children[0].children[0].children[0].id]).to.equal('a');
    const order = log.events
      .filter((e) => e.root === res.body.root && e.state === 'SUCCESS')
      .map((e) => e.job);
    expect(order.indexOf(tree.job.children[0].children[0].id)).to.be.below(
      order.indexOf(tree.job.children[0].id),
    );
    expect(order[order.length - 1]).to.equal(tree.job.id);

    const ls = await runCli([
      '--server',
      a!.url,
      'ls',
      '--tag',
      'application=shop',
      '--tag',
      'version=7',
      '--json',
    ]);
    expect(ls.code).to.equal(0);
    expect(JSON.parse(ls.stdout).trees.map((t: { root: string }) => t.root)).to.deep.equal([
      res.body.root,
    ]);
    const nodes = await runCli(['--server', c!.url, 'nodes']);
    expect(nodes.stdout).to.match(/^a\s+yes/m);
    expect(nodes.stdout).to.match(/^c\s+yes/m);
  });

  it('aborts a running tree from another node through the CLI', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const log = await collectEvents(store);
    const [a, b] = await cluster(prefix);
    const res = await http(a!.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'r',
        type: 'noop',
        node: 'a',
        children: [
          { title: 'long on b', type: 'shell', node: 'b', params: { command: 'sleep 30' } },
          { title: 'long on c', type: 'sleep', node: 'c', params: { ms: 30000 } },
        ],
      },
    });
    const root = res.body.root as string;
    await log.until((e) => e.root === root && e.node === 'b' && e.state === 'RUNNING');
    await log.until((e) => e.root === root && e.node === 'c' && e.state === 'RUNNING');
    const abort = await runCli(['--server', b!.url, 'abort', root]);
    expect(abort.code).to.equal(0);
    await log.until((e) => e.root === root && e.node === 'b' && e.state === 'ABORTED');
    await log.until((e) => e.root === root && e.node === 'c' && e.state === 'ABORTED');
    const show = await runCli(['--server', a!.url, 'show', root]);
    expect(show.stdout).to.match(/^tree \S+ ABORTED/);
    expect(show.stdout).to.match(/long on b \[ABORTED\] @b/);
  });
});
