/**
 * The job types a submission may use: this node's own (with their params
 * checks) plus those only other live nodes declare, read from the node
 * registry only when a spec names a type this node lacks.
 */
import type { TypeCatalog } from '../jobtree/validate.js';
import type { JobSpec } from '../shared/types.js';
import type { Store } from '../store/store.js';
import type { TypeRegistry } from './job-types/registry.js';

function collectTypes(specs: unknown[]): Set<string> {
  const out = new Set<string>();
  const stack = [...specs];
  while (stack.length > 0) {
    const j = stack.pop() as Partial<JobSpec> | null;
    if (!j || typeof j !== 'object') continue;
    if (typeof j.type === 'string') out.add(j.type);
    if (Array.isArray(j.children)) stack.push(...j.children);
  }
  return out;
}

export async function catalogFor(
  types: TypeRegistry,
  store: Store,
  specs: unknown[],
): Promise<TypeCatalog> {
  const local = new Set(types.names());
  if ([...collectTypes(specs)].every((t) => local.has(t))) return types.catalog();
  const remote = new Set((await store.liveNodes(Date.now())).flatMap((n) => n.types));
  return types.catalog(remote);
}
