/**
 * The shards of a store on Redis Cluster (SPEC §17). A shard is a key
 * prefix with a hash tag, `P:{<tag>}`: every key and channel a RedisStore
 * builds under it, the tree keys (`P:{tag}:{root}:tree`, whose first braces
 * win) as well as the node queues and indexes, falls in the tag's slot. So
 * each script stays inside one slot, and the trees spread over the masters
 * as the shards do. The tags are chosen so that their slots are evenly
 * spaced over 0–16383: any split of the slots into ranges (what
 * `redis-cli --cluster create` makes) gives each master its share.
 *
 * Every id of a tree (its root, its jobs, its handler tree) carries its
 * shard in its first 32 bits, so a bare job id names its shard.
 */
import keySlot from 'cluster-key-slot';
import { newId } from '../shared/ids.js';

/** Shards of a clustered store: 12 split evenly over 1, 2, 3, 4 or 6 masters. */
export const CLUSTER_SHARDS = 12;

const SLOTS = 16384;

/** The hash tag of each shard: the first `s<k>.<i>` whose slot opens the shard's range. */
export function shardTags(count = CLUSTER_SHARDS): string[] {
  return Array.from({ length: count }, (_, k) => {
    const from = Math.ceil((k * SLOTS) / count);
    for (let i = 0; ; i++) {
      const tag = `s${k}.${i}`;
      const slot = keySlot(tag);
      if (slot >= from && slot < from + 32) return tag;
    }
  });
}

/** The shard an id belongs to. */
export function shardOf(id: string, count = CLUSTER_SHARDS): number {
  return Number.parseInt(id.slice(0, 8), 16) % count;
}

/** A new UUID v4 in shard `k`: its first 32 bits (free random bits) moved to that residue. */
export function idInShard(k: number, count = CLUSTER_SHARDS): string {
  const id = newId();
  const head = Number.parseInt(id.slice(0, 8), 16);
  let moved = head - (head % count) + k;
  if (moved > 0xffffffff) moved -= count;
  return moved.toString(16).padStart(8, '0') + id.slice(8);
}
