/**
 * Three real agent processes on one Redis (SPEC §1, §3, §4, §8): a tree
 * runs leaf-first across nodes, an abort stops it, the CLI lists by tag,
 * a definition runs by name on a pool. The same cases run again with the
 * agents on a Redis Cluster of three masters (SPEC §17).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ShardedStore } from '../../src/store/sharded-store.js';
import type { Store } from '../../src/store/store.js';
import { runCli, spawnAgent, type AgentProcess } from '../helpers/agents.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { collectEvents } from '../helpers/events.js';
import { track } from '../helpers/track.js';

interface Backend {
  name: string;
  before?(): Promise<void>;
  after?(): Promise<void>;
  agent(): { redisUrl?: string; env?: Record<string, string> };
  store(prefix: string): Store;
}

let redisCluster: TestCluster | undefined;
const backends: Backend[] = [
  {
    name: 'one Redis',
    agent: () => ({ redisUrl: testRedisUrl() }),
    store: (prefix) => makeStore(testRedisUrl(), prefix),
  },
  {
    name: 'a Redis Cluster of three masters (§17)',
    before: async () => {
      redisCluster = await startCluster(3);
    },
    after: async () => redisCluster?.destroy(),
    agent: () => ({ env: { JOBTREE_REDIS_CLUSTER: redisCluster?.urls.join(',') ?? '' } }),
    store: (prefix) =>
      track(new ShardedStore({ kind: 'cluster', nodes: redisCluster?.urls ?? [] }, prefix), (s) =>
        s.close(),
      ),
  },
];

for (const backend of backends)
  describe(`e2e: a three-node cluster on ${backend.name}`, function () {
    this.timeout(60000);
    if (backend.before) before(backend.before);
    if (backend.after) after(backend.after);
    const makeStore = (prefix: string) => backend.store(prefix);
    const cluster = (prefix: string): Promise<AgentProcess[]> =>
      Promise.all(['a', 'b', 'c'].map((node) => spawnAgent({ node, prefix, ...backend.agent() })));

    it('runs a deployment tree leaf-first across nodes and answers from any node', async () => {
      const prefix = `jt-${randomUUID()}`;
      const store = makeStore(prefix);
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
      const store = makeStore(prefix);
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
    it('runs a definition by name, its jobs holding the slots of a pool', async () => {
      const prefix = `jt-${randomUUID()}`;
      const [a, b] = await cluster(prefix);
      const fixture = new URL('../fixtures/definitions/deploy-shop.json', import.meta.url);
      const def = JSON.parse(readFileSync(fixture, 'utf8')) as {
        tree: { job: { children: Array<{ job: Record<string, unknown> }> } };
      };
      (def.tree.job.children[0] as { job: Record<string, unknown> }).job.pool = 'hosts';
      expect((await http(a!.url, 'PUT', '/api/v1/pools/hosts', { slots: 1 })).status).to.equal(201);
      expect((await http(a!.url, 'PUT', '/api/v1/definitions/deploy-shop', def)).status).to.equal(
        201,
      );
      const run = await http(
        b!.url,
        'POST',
        '/api/v1/definitions/deploy-shop/runs?wait=true&timeout=30',
        {
          params: { version: 3, hosts: ['a', 'b', 'c'] },
        },
      );
      expect(run.status).to.equal(200);
      expect(run.body.state).to.equal('SUCCESS');
      const runs = await http(a!.url, 'GET', '/api/v1/definitions/deploy-shop/runs');
      expect(runs.body.runs.map((r: { root: string }) => r.root)).to.deep.equal([run.body.root]);
      const pools = await http(b!.url, 'GET', '/api/v1/pools');
      expect(pools.body.pools).to.deep.include({ name: 'hosts', slots: 1, used: 0, queued: 0 });
    });
  });
