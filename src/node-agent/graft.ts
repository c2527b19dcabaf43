/**
 * Grafting children under a job that has not started (SPEC §3 "growing a
 * tree"), shared by ctx.addChildren and POST /jobs/:id/children: validate
 * against the tree's limits, plan, then one addChildren script.
 */
import { LIMITS } from '../jobtree/limits.js';
import { planChildren } from '../jobtree/plan.js';
import { validateChildren } from '../jobtree/validate.js';
import { newId } from '../shared/ids.js';
import type { PlannedJob } from '../shared/types.js';
import type { Store } from '../store/store.js';
import type { TypeRegistry } from './job-types/registry.js';
import { catalogFor } from './type-catalog.js';

/** How deep `id` sits in its tree (the root is 1). */
async function depthOf(store: Store, id: string): Promise<number> {
  let depth = 1;
  let job = await store.getJob(id);
  while (job.parent !== null && depth <= LIMITS.maxDepth) {
    job = await store.getJob(job.parent);
    depth += 1;
  }
  return depth;
}

/** Validates `body` (`{jobs:[...]}`) and grafts it under `targetId`; returns the new jobs. */
export async function graftChildren(
  store: Store,
  types: TypeRegistry,
  targetId: string,
  body: unknown,
): Promise<PlannedJob[]> {
  const specs = (body as { jobs?: unknown } | undefined)?.jobs;
  const catalog = await catalogFor(types, store, Array.isArray(specs) ? specs : []);
  const depth = await depthOf(store, targetId);
  return store.addChildren(
    targetId,
    (target, total) => {
      const specs = validateChildren(body, catalog, total, depth);
      const { jobs, direct } = planChildren(specs, target, newId);
      return { jobs, direct, maxJobs: LIMITS.maxJobs };
    },
    Date.now(),
  );
}
