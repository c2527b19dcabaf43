/**
 * Cluster routes (SPEC §7): the node registry, drain and undrain (§16),
 * this agent's health, and Prometheus metrics.
 */
import type Router from '@koa/router';
import { NotFoundError } from '../../shared/errors.js';
import { NODE_NAME_PATTERN } from '../../shared/ids.js';
import type { AppDeps } from '../app-deps.js';

const NODE_RE = new RegExp(`^${NODE_NAME_PATTERN}$`);

export function nodeRoutes(router: Router, deps: AppDeps): void {
  router.get('/api/v1/nodes', async (ctx) => {
    ctx.body = { nodes: await deps.store.listNodes(Date.now()) };
  });

  // SPEC §16: drain stops a node claiming (its running jobs finish); undrain lets it claim again
  for (const [verb, drain] of [
    ['drain', true],
    ['undrain', false],
  ] as const) {
    router.post(`/api/v1/nodes/:node/${verb}`, async (ctx) => {
      const node = ctx.params.node as string;
      if (!NODE_RE.test(node) || !(await deps.store.setDrain(node, drain)))
        throw new NotFoundError(`no node ${node}`);
      const view = (await deps.store.listNodes(Date.now())).find((n) => n.name === node);
      ctx.body = { node, state: view?.state ?? (drain ? 'draining' : 'active') };
    });
  }

  router.get('/api/v1/health', async (ctx) => {
    await deps.store.ping(); // a 503 REDIS_UNAVAILABLE when Redis is out of reach
    ctx.body = { ok: true, node: deps.node, version: deps.version };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.metrics();
  });
}
