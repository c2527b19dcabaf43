/**
 * The TypeCatalog of one submission (SPEC §11 validation, §12 pools): a job
 * for node N is checked against the schema of the version N runs (or would
 * load: the registered one), a `*` job against the registered version or
 * else every live node that has the type. Reads Redis only when the
 * submission names a type that is not built in, or a pool.
 */
import type { Needs } from '../jobtree/needs.js';
import { paramsCheckOf } from '../jobtree/params-check.js';
import type { ParamsCheck, TypeCatalog } from '../jobtree/validate.js';
import type { JsonObject, NodeView } from '../shared/types.js';
import type { NodePort, RecordsPort } from '../store/store.js';

/** What admission knows of the job types of the node it runs on. */
export interface LocalTypes {
  /** The params check of a type this node runs now; undefined when it has none of that name. */
  paramsCheck(type: string): ParamsCheck | undefined;
  /** True for the built-in types, which every node runs with the same params. */
  isBuiltin(type: string): boolean;
}

/** Several checks that must all pass (a `*` job of a type several nodes load). */
function allOf(checks: ParamsCheck[]): ParamsCheck {
  return (params) => {
    for (const c of checks) {
      const bad = c(params);
      if (bad) return bad;
    }
    return null;
  };
}

/**
 * The check of a schema another node published, or undefined (the type is
 * taken as not runnable there) when it is no schema: a record may be
 * corrupt (SPEC §18), and must not fail every submission of its type.
 */
function schemaCheck(schema: JsonObject | undefined): ParamsCheck | null | undefined {
  if (!schema) return null;
  try {
    return paramsCheckOf(schema);
  } catch {
    return undefined;
  }
}

/** Builds the catalog for `needs`, reading nodes, registrations and pools only as needed. */
export async function clusterCatalog(
  store: RecordsPort & NodePort,
  local: LocalTypes,
  localNode: string,
  needs: Needs,
): Promise<TypeCatalog> {
  const plugins = [...needs.types].filter((t) => !local.isBuiltin(t));
  const pools = await store.pools.slots([...needs.pools]);
  if (plugins.length === 0) {
    return {
      paramsCheck: (type) => local.paramsCheck(type),
      poolSlots: (name) => pools.get(name),
    };
  }
  const [nodes, registered] = await Promise.all([
    store.listNodes(Date.now()),
    store.jobTypes.list(),
  ]);
  const byNode = new Map<string, NodeView>(nodes.map((n) => [n.name, n]));
  const schemaOf = new Map(registered.map((r) => [r.name, r.latest.paramsSchema]));
  const onNode = (type: string, node: string): ParamsCheck | null | undefined => {
    if (node === localNode) {
      const own = local.paramsCheck(type);
      if (own) return own;
    }
    const info = byNode.get(node)?.typeVersions[type];
    if (info?.version !== undefined) return schemaCheck(info.paramsSchema);
    if (info?.error !== undefined) return undefined; // it tried, and cannot run it
    if (schemaOf.has(type)) return schemaCheck(schemaOf.get(type));
    return undefined;
  };
  const onAnyNode = (type: string): ParamsCheck | null | undefined => {
    if (schemaOf.has(type)) return schemaCheck(schemaOf.get(type));
    // a directory type: whichever live node that has it claims the job must accept its params
    const checks = nodes
      .filter((n) => n.alive && n.typeVersions[type]?.version !== undefined)
      .map((n) => schemaCheck(n.typeVersions[type]?.paramsSchema));
    if (checks.length === 0) return local.paramsCheck(type);
    if (checks.includes(undefined)) return undefined;
    return allOf(checks.filter((c): c is ParamsCheck => c !== null && c !== undefined));
  };
  return {
    paramsCheck: (type, node) => {
      if (local.isBuiltin(type)) return local.paramsCheck(type);
      return node === '*' ? onAnyNode(type) : onNode(type, node);
    },
    poolSlots: (name) => pools.get(name),
  };
}
