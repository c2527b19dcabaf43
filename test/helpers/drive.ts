/**
 * Drives a tree through the store by hand, as an agent would, so store
 * tests can act one transition at a time.
 */
import type { ShardedStore } from '../../src/store/sharded-store.js';
import type { FinishReport } from '../../src/store/store.js';

export async function claimAll(store: ShardedStore, node = 'n1', token = 'tok') {
  return store.claimJobs(node, 1000, token, Date.now());
}

export async function finish(
  store: ShardedStore,
  root: string,
  id: string,
  outcome: FinishReport['outcome'] = 'SUCCESS',
  extra: Partial<FinishReport> = {},
) {
  return store.finishJob({ root, id, token: 'tok', outcome, at: Date.now(), ...extra });
}
