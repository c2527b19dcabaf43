/**
 * Cluster routes (SPEC §7): the node registry, this agent's health, and
 * Prometheus metrics.
 */
import type Router from '@koa/router';
import type { AppDeps } from '../app-deps.js';

export function nodeRoutes(router: Router, deps: AppDeps): void {
  router.get('/api/v1/nodes', async (ctx) => {
    ctx.body = { nodes: await deps.store.listNodes(Date.now()) };
  });

  router.get('/api/v1/health', async (ctx) => {
    await deps.store.ping(); // a 503 REDIS_UNAVAILABLE when Redis is out of reach
    ctx.body = { ok: true, node: deps.node, version: deps.version };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.metrics();
  });
}
