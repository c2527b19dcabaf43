/**
 * SPEC §17, a Redis Cluster with one master away: the store answers for
 * the shards that are up. Ends of a batch that spans shards are written
 * where their shard answers and answered unavailable where it does not
 * (the agent journals only those), and a claim that skips the lost
 * shards (its journal holds their ends) is served by the others.
 */
import { expect } from 'chai';
import keySlot from 'cluster-key-slot';
import { isRedisUnavailable } from '../../src/shared/errors.js';
import type { ShardedStore } from '../../src/store/sharded-store.js';
import { shardOf, shardTags } from '../../src/store/shards.js';
import { clusteredStore, startCluster } from '../helpers/cluster.js';
import { submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';

const leafOnN1 = { job: { title: 'leaf', type: 'noop', node: 'n1' } };

describe('store: a Redis Cluster with a master away (§17)', function () {
  this.timeout(60000);

  it('writes the ends of the shards that answer and answers the others unavailable', async () => {
    const cluster = track(await startCluster(3), (c) => c.destroy());
    const store = clusteredStore(cluster);
    const masterOf = (s: ShardedStore, root: string) =>
      cluster.masterOf(keySlot(`${s.prefix}:{${shardTags()[shardOf(root)] as string}}:x`));
    // one tree a shard: twelve trees, on every master
    const roots: string[] = [];
    for (let i = 0; i < 12; i++) roots.push((await submit(store, leafOnN1)).root);
    const claimed = await store.claimJobs('n1', 100, 'tok', Date.now());
    expect(claimed).to.have.length(12);
    const lost = await masterOf(store, roots[0] as string);
    await cluster.stop(lost);

    const answers = await store.finishJobs(
      claimed.map((c) => ({ root: c.root, id: c.id, token: 'tok', outcome: 'SUCCESS', at: 1 })),
    );
    for (const [i, c] of claimed.entries()) {
      const away = (await masterOf(store, c.root)) === lost;
      expect(isRedisUnavailable(answers[i]), `the end of ${c.root}`).to.equal(away);
      if (!away) expect(answers[i]).to.deep.include({ state: 'SUCCESS' });
    }

    // new work in other shards: a claim that skips the lost master's shards is served by the rest
    let up = 0; // a submission to a lost shard fails (503); trees go to the shards in turn
    for (let i = 0; i < 12 && up < 3; i++)
      if (await submit(store, leafOnN1).catch(() => null)) up++;
    expect(up).to.equal(3);
    const held = new Set<number>();
    for (const r of roots) if ((await masterOf(store, r)) === lost) held.add(shardOf(r));
    const more = await store.claimJobs('n1', 100, 'tok', Date.now(), held);
    expect(more.length).to.be.greaterThan(0);
    for (const c of more) expect(held.has(shardOf(c.root))).to.equal(false);
  });
});
