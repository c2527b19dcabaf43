/**
 * What createApp needs, passed in (graphile's collaborators as arguments):
 * the store, this node's name and job types, the token, metrics.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TypeRegistry } from '../node-agent/job-types/registry.js';
import type { Store } from '../store/store.js';
import type { TreeWaiter } from './tree-waiter.js';

export interface AppDeps {
  store: Store;
  node: string;
  types: TypeRegistry;
  token: string | null;
  waiter: TreeWaiter;
  metrics: Registry;
  logger: Logger;
  version: string;
}
