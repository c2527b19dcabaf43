/**
 * Pool routes (SPEC §12): create or resize, list with their use, delete
 * one that no job names. Talks to the Store only.
 */
import type Router from '@koa/router';
import { LIMITS } from '../../jobtree/limits.js';
import { ValidationError } from '../../shared/errors.js';
import { isResourceName, RESOURCE_NAME_PATTERN } from '../../shared/ids.js';
import type { AppDeps } from '../app-deps.js';

function poolName(raw: unknown): string {
  if (!isResourceName(raw))
    throw new ValidationError(`name: want ${RESOURCE_NAME_PATTERN}`, 'name');
  return raw;
}

/** `{slots, description?}`, nothing else. */
function poolBody(body: unknown): { slots: number; description?: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('body: want {"slots": N, "description"?: "..."}');
  const { slots, description, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ValidationError(`${unknown}: unknown field`, unknown);
  if (!Number.isInteger(slots) || (slots as number) < 0 || (slots as number) > LIMITS.maxPoolSlots)
    throw new ValidationError(`slots: want an integer from 0 to ${LIMITS.maxPoolSlots}`, 'slots');
  if (
    description !== undefined &&
    (typeof description !== 'string' || description.length < 1 || description.length > 500)
  )
    throw new ValidationError('description: want a string of 1 to 500 characters', 'description');
  return { slots: slots as number, ...(description !== undefined ? { description } : {}) };
}

export function poolRoutes(router: Router, deps: AppDeps): void {
  router.get('/api/v1/pools', async (ctx) => {
    ctx.body = { pools: await deps.store.pools.list() };
  });

  router.put('/api/v1/pools/:name', async (ctx) => {
    const name = poolName(ctx.params.name);
    const { slots, description } = poolBody(ctx.request.body);
    const created = await deps.store.pools.set(name, slots, description);
    ctx.status = created ? 201 : 200;
    ctx.body = { name, slots, ...(description !== undefined ? { description } : {}), created };
  });

  router.delete('/api/v1/pools/:name', async (ctx) => {
    const name = poolName(ctx.params.name);
    await deps.store.pools.remove(name);
    ctx.body = { name, deleted: true };
  });
}
