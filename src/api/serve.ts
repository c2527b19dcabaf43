/**
 * serveApi: the ApiFactory the daemon passes to its Agent: the Koa app of
 * createApp plus the tree waiter it needs, closed together.
 */
import type { ApiContext, ServedApi } from '../daemon/api-factory.js';
import { createApp } from './app.js';
import { TreeWaiter } from './tree-waiter.js';

export function serveApi(context: ApiContext): ServedApi {
  const waiter = new TreeWaiter(context.store);
  const app = createApp({ ...context, waiter });
  return { handler: app.callback(), close: () => waiter.close() };
}
