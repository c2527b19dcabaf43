/**
 * The agent under test is the compiled one in dist/ (npm run bench builds it
 * first), as `jobtree agent` runs it: loaded from src through tsx it carries
 * tsx's helpers, a few per cent of its time. The path is computed so
 * TypeScript takes the types from src.
 */
import type * as Serve from '../src/api/serve.js';
import type * as Load from '../src/config/load.js';
import type * as AgentModule from '../src/daemon/agent.js';
import type * as Sharded from '../src/store/sharded-store.js';

const DIST = '../dist/';
async function fromDist<T>(path: string): Promise<T> {
  return (await import(DIST + path)) as T;
}
export const { serveApi } = await fromDist<typeof Serve>('api/serve.js');
export const { loadConfig } = await fromDist<typeof Load>('config/load.js');
export const { Agent } = await fromDist<typeof AgentModule>('daemon/agent.js');
export const { ShardedStore } = await fromDist<typeof Sharded>('store/sharded-store.js');
