/**
 * What createApp needs, passed in (graphile's collaborators as arguments):
 * what the agent offers its API (ApiContext) plus the tree waiter.
 */
import type { ApiContext } from '../daemon/api-factory.js';
import type { TreeWaiter } from './tree-waiter.js';

export interface AppDeps extends ApiContext {
  waiter: TreeWaiter;
}
