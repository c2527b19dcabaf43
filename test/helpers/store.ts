/**
 * A RedisStore on the run's test Redis with a fresh key prefix per test
 * (bullmq's `test-${randomUUID()}`), closed after the test.
 */
import { randomUUID } from 'node:crypto';
import { RedisStore } from '../../src/store/redis-store.js';
import { planTree } from '../../src/jobtree/plan.js';
import { newId } from '../../src/shared/ids.js';
import type { TreeSpec } from '../../src/shared/types.js';
import { testRedisUrl } from './hooks.js';
import { track } from './track.js';

export function makeStore(url = testRedisUrl(), prefix = `jt-${randomUUID()}`): RedisStore {
  return track(new RedisStore(url, prefix), (s) => s.close());
}

/** Plans and stores `spec` as if node `node` accepted it; returns the plan. */
export async function submit(store: RedisStore, spec: TreeSpec, node = 'n1', at = Date.now()) {
  const plan = planTree(spec, { acceptingNode: node, newId });
  await store.submitTree({
    root: plan.root,
    title: spec.job.title,
    node: plan.jobs[0]?.node ?? node,
    tags: spec.tags ?? {},
    context: spec.context ?? {},
    jobs: plan.jobs,
    at,
  });
  return plan;
}
