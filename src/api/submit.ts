/**
 * A submission from the API (SPEC §3): validate against the job types this
 * node and the live nodes know, plan with this node as the default, store
 * in one script.
 */
import { planTree, type PlannedTree } from '../jobtree/plan.js';
import { validateTreeSpec } from '../jobtree/validate.js';
import { catalogFor } from '../node-agent/type-catalog.js';
import { newId } from '../shared/ids.js';
import type { AppDeps } from './app-deps.js';

export async function submitTree(deps: AppDeps, body: unknown): Promise<PlannedTree> {
  const job = (body as { job?: unknown } | undefined)?.job;
  const spec = validateTreeSpec(body, await catalogFor(deps.types, deps.store, [job]));
  const plan = planTree(spec, { acceptingNode: deps.node, newId });
  await deps.store.submitTree({
    root: plan.root,
    title: spec.job.title,
    node: plan.jobs[0]?.node ?? deps.node,
    tags: spec.tags ?? {},
    context: spec.context ?? {},
    jobs: plan.jobs,
    at: Date.now(),
    maxQueued: deps.maxQueued,
  });
  return plan;
}
