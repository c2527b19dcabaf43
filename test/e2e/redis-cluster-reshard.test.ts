/**
 * SPEC §17, a resharding under load, with real processes: two agents on a
 * Redis Cluster of three masters take trees over HTTP and run them while
 * the slots of four shards go round the masters a few keys at a time, as
 * `redis-cli --cluster reshard` moves them. No call of a user meets an
 * error, every tree succeeds, every job runs once and every transition is
 * written once (slot-guard.ts).
 */
import { expect } from 'chai';
import keySlot from 'cluster-key-slot';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shardTags } from '../../src/store/shards.js';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { startCluster } from '../helpers/cluster.js';
import { http } from '../helpers/http.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const TREES = 24;
const LEAVES = 4;

describe('e2e: a Redis Cluster resharded under load (§17)', function () {
  this.timeout(120000);

  it('runs every tree submitted while four shards move, each job once, no error reaching a user', async () => {
    const cluster = track(await startCluster(3), (c) => c.destroy());
    const prefix = `jt-${randomUUID()}`;
    const env = { JOBTREE_REDIS_CLUSTER: cluster.urls.join(',') };
    const agents = [
      await spawnAgent({ node: 'a', prefix, env }),
      await spawnAgent({ node: 'b', prefix, env }),
    ];
    const runs = join(tempDir(), 'runs');
    const tree = (i: number) => ({
      job: {
        title: `root ${i}`,
        type: 'noop',
        node: 'a',
        children: Array.from({ length: LEAVES }, (_, j) => ({
          title: `${i}.${j}`,
          type: 'shell',
          node: j % 2 ? 'a' : 'b',
          params: { command: `echo ${i}.${j} >> ${runs}` },
        })),
      },
    });

    // four shards (not the home shard, where the registry is) move while trees come and run
    const slots = [1, 4, 7, 10].map((k) => keySlot(`${prefix}:{${shardTags()[k] as string}}:x`));
    const roots: string[] = [];
    const submitting = (async () => {
      for (let i = 0; i < TREES; i++) {
        const res = await http(agents[i % 2]!.url, 'POST', '/api/v1/trees', tree(i));
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        roots.push(res.body.root as string);
      }
    })();
    // each slot moves to the next master, a few keys a step, while the trees come and run
    const moving = (async () => {
      for (const slot of slots) {
        const from = await cluster.masterOf(slot);
        const to = cluster.ports[(cluster.ports.indexOf(from) + 1) % cluster.ports.length]!;
        const move = await cluster.startMove(slot, to);
        for (let keys = await move.keysLeft(); keys.length > 0; keys = await move.keysLeft()) {
          await move.moveKeys(keys.slice(0, 5));
        }
        await move.finish();
        expect(await cluster.masterOf(slot)).to.equal(to);
      }
    })();
    await Promise.all([submitting, moving]);
    for (const root of roots) {
      const done = await waitFor(
        async () => {
          const res = await http(agents[0]!.url, 'GET', `/api/v1/trees/${root}`);
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          return res.body.state === 'SUCCESS' ? res.body : null;
        },
        { timeoutMs: 30000, what: `tree ${root} to succeed` },
      );
      expect(done.seq).to.equal(4 + 3 * LEAVES);
    }
    const ran = readFileSync(runs, 'utf8').trim().split('\n');
    expect(ran).to.have.length(TREES * LEAVES);
    expect(new Set(ran).size).to.equal(TREES * LEAVES);
  });
});
