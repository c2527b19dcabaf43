/**
 * SPEC §17, a Redis Cluster master lost in the middle of a tree, with real
 * processes: three masters (AOF, fsync always), two agents, and the master
 * that holds the tree's shard stopped while its jobs run. The jobs finish
 * during the outage and their ends are journalled; once the master is back
 * on its data the tree completes, every job run once and every transition
 * written once, and meanwhile a tree on another master ran on a node whose
 * journal held ends of the lost one.
 */
import { expect } from 'chai';
import keySlot from 'cluster-key-slot';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShardedStore } from '../../src/store/sharded-store.js';
import { shardOf, shardTags } from '../../src/store/shards.js';
import { spawnAgent, tempDir, type AgentProcess } from '../helpers/agents.js';
import { startCluster } from '../helpers/cluster.js';
import { http } from '../helpers/http.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const journalLines = (agent: AgentProcess): number => {
  const path = join(agent.dataDir, 'journal.ndjson');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
};

describe('e2e: a Redis Cluster master lost mid-tree (§17)', function () {
  this.timeout(150000);

  it('journals the ends its jobs made meanwhile and completes the tree once it is back', async () => {
    const cluster = track(await startCluster(3, { aof: true }), (c) => c.destroy());
    const prefix = `jt-${randomUUID()}`;
    // the default heartbeat TTL: a loaded machine must not have the reaper take a live node
    const env = { JOBTREE_REDIS_CLUSTER: cluster.urls.join(',') };
    const [a, b] = [
      await spawnAgent({ node: 'a', prefix, env }),
      await spawnAgent({ node: 'b', prefix, env }),
    ];
    const store = track(new ShardedStore({ kind: 'cluster', nodes: cluster.urls }, prefix), (s) =>
      s.close(),
    );
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const go = join(dir, 'go');
    const leaf = (title: string, node: string) => ({
      title,
      type: 'shell',
      node,
      params: { command: `while [ ! -e ${go} ]; do sleep 0.02; done; echo ${title} >> ${runs}` },
    });
    const titles = ['a1', 'a2', 'b1', 'b2'];
    const masterOfShard = (id: string) =>
      cluster.masterOf(keySlot(`${prefix}:{${shardTags()[shardOf(id)] as string}}:x`));
    const home = await cluster.masterOf(keySlot(`${prefix}:{${shardTags()[0] as string}}:x`));
    // a tree on a master other than the home shard's: the registry stays up
    const root = await waitFor(
      async () => {
        const res = await http(a.url, 'POST', '/api/v1/trees', {
          job: {
            title: 'root',
            type: 'noop',
            node: 'a',
            children: titles.map((t) => leaf(t, t[0]!)),
          },
        });
        expect(res.status).to.equal(201);
        const id = res.body.root as string;
        if ((await masterOfShard(id)) !== home) return id;
        await store.abortJob(id, 'test', Date.now());
        return null;
      },
      { what: 'a tree away from the home master' },
    );
    await waitFor(
      async () => (await store.getTree(root)).job.children?.every((c) => c.state === 'RUNNING'),
      {
        what: 'four leaves running',
      },
    );

    // the master of the tree's shard goes away while its jobs run
    const lost = await masterOfShard(root);
    await cluster.stop(lost);
    writeFileSync(go, '');
    await waitFor(() => journalLines(a) === 2 && journalLines(b) === 2, {
      timeoutMs: 20000,
      what: 'each agent to journal its two ends',
    });
    // the other masters still serve their trees, even to a node whose journal holds ends of
    // the lost one: it claims from the shards with no end waiting, and their ends go to Redis
    const elsewhere: string[] = []; // trees not done within their wait: they must end too
    const other = await waitFor(
      async () => {
        const res = await http(a.url, 'POST', '/api/v1/trees?wait=true&timeout=5', {
          job: { title: 'elsewhere', type: 'noop', node: 'a' },
        });
        if (res.status === 202) elsewhere.push(res.body.root as string);
        return res.status === 200 && res.body.state === 'SUCCESS' ? res : null;
      },
      { timeoutMs: 20000, what: 'a tree on a master still up' },
    );
    expect(
      await cluster.masterOf(keySlot(`${prefix}:{${shardTags()[shardOf(other.body.root)]}}:x`)),
    ).to.not.equal(lost);
    expect(journalLines(a)).to.equal(2); // the end of that tree's job went to Redis

    await cluster.restart(lost);
    const final = await waitFor(
      async () => {
        const res = await http(a.url, 'GET', `/api/v1/trees/${root}`);
        return res.status === 200 && res.body.state === 'SUCCESS' ? res : null;
      },
      { timeoutMs: 60000, what: 'the tree to succeed' },
    );
    expect(readFileSync(runs, 'utf8').trim().split('\n').sort()).to.deep.equal(titles);
    expect(final.body.seq).to.equal(4 + 3 * titles.length);
    await waitFor(() => journalLines(a) === 0 && journalLines(b) === 0, { what: 'empty journals' });
    for (const r of elsewhere) {
      await waitFor(async () => (await store.treeState(r))?.state === 'SUCCESS', {
        what: `tree ${r} to succeed`,
      });
    }
  });
});
