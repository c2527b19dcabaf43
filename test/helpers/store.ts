/**
 * The store on the run's test Redis with a fresh key prefix per test
 * (bullmq's `test-${randomUUID()}`), closed after the test: the one
 * store of every Redis, a router of one shard here.
 */
import { randomUUID } from 'node:crypto';
import { ShardedStore } from '../../src/store/sharded-store.js';
import type { RedisPlace } from '../../src/store/redis-target.js';
import { namesAPool, planTree } from '../../src/jobtree/plan.js';
import type { TreeSpec } from '../../src/shared/types.js';
import type { NodeInfo, Store } from '../../src/store/store.js';
import { testRedisUrl } from './hooks.js';
import { track } from './track.js';

export function makeStore(
  place: RedisPlace = testRedisUrl(),
  prefix = `jt-${randomUUID()}`,
): ShardedStore {
  return track(new ShardedStore(place, prefix), (s) => s.close());
}

/** Plans and stores `spec` as if node `node` accepted it; returns the plan. */
export async function submit(store: Store, spec: TreeSpec, node = 'n1', at = Date.now()) {
  // as admission places it: with pools, in the shard of the cluster-wide records
  const ids = store.idSource({ shared: namesAPool(spec) });
  const plan = planTree(spec, { acceptingNode: node, newId: ids });
  await store.submitTree({
    root: plan.root,
    title: spec.job.title,
    node: plan.jobs[0]?.node ?? node,
    tags: spec.tags ?? {},
    context: spec.context ?? {},
    jobs: plan.jobs,
    ...(plan.handlers ? { handlers: plan.handlers } : {}),
    at,
    ...(spec.admission ? { admission: spec.admission } : {}),
  });
  return plan;
}

/** Claims up to `max` jobs for `node` and ends each SUCCESS; answers how many it ran. */
export async function runClaimed(store: Store, node: string, max: number): Promise<number> {
  const claimed = await store.claimJobs(node, max, 'tok', Date.now());
  await store.finishJobs(
    claimed.map((c) => ({
      root: c.root,
      id: c.id,
      token: 'tok',
      outcome: 'SUCCESS',
      at: Date.now(),
    })),
  );
  return claimed.length;
}

/** What an agent named `name` would register (run id `run-<name>`). */
export function nodeInfo(name: string): NodeInfo {
  return {
    name,
    url: 'http://127.0.0.1:1',
    runId: `run-${name}`,
    pid: 1,
    host: 'h',
    dataDir: '/d',
    concurrency: 1,
    version: '0',
    types: ['noop'],
    loaded: {},
    startedAt: 0,
  };
}

/**
 * `store` with some of its methods replaced: a port as a test wants it
 * (a slow adoption, a failing end), handed to the agent in place of the
 * store, which itself is left as it is.
 */
export function withPort(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (Object.hasOwn(overrides, name)) return overrides[name as keyof Store];
      const value: unknown = Reflect.get(target, name, receiver);
      // the store's own methods use its private fields: call them on it
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
