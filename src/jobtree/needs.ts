/**
 * What a submission asks of the cluster before it is validated: the job
 * types and pools it names. Admission reads only those from Redis. Pure,
 * and safe on raw input (anything not shaped like a job is skipped).
 */
import type { JobSpec } from '../shared/types.js';

export interface Needs {
  types: Set<string>;
  pools: Set<string>;
}

/** The types and pools named anywhere in `specs` (raw, unvalidated jobs and their compensations). */
export function collectNeeds(specs: unknown[]): Needs {
  const needs: Needs = { types: new Set(), pools: new Set() };
  const stack = [...specs];
  let seen = 0;
  // bounded like validation: a hostile body cannot make this walk forever
  while (stack.length > 0 && seen++ < 200_000) {
    const j = stack.pop() as Partial<JobSpec> | null;
    if (!j || typeof j !== 'object') continue;
    if (typeof j.type === 'string') needs.types.add(j.type);
    if (typeof j.pool === 'string') needs.pools.add(j.pool);
    const c = j.compensate as { type?: unknown } | undefined;
    if (c && typeof c.type === 'string') needs.types.add(c.type);
    if (Array.isArray(j.children)) stack.push(...j.children);
  }
  return needs;
}
