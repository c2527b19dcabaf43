/**
 * Turns a validated tree spec into the flat list of jobs the store writes
 * (SPEC §3): ids, parents, inherited nodes, QUEUED leaves and WAITING
 * parents (§4 rule 1). Pure: ids come from the `newId` it is given.
 */
import type {
  CompensateSpec,
  JobSpec,
  PlannedCompensation,
  PlannedJob,
  TreeSpec,
} from '../shared/types.js';
import { LIMITS } from './limits.js';

export interface PlanOptions {
  /** The node whose API accepted the submission: the root's node by default. */
  acceptingNode: string;
  newId: () => string;
}

/** A planned tree: the jobs in pre-order (every parent before its children). */
export interface PlannedTree {
  root: string;
  jobs: PlannedJob[];
  /**
   * SPEC §15, when the tree has handlers: the id of its handler tree's root
   * and the onFailure jobs in the order they will run (children first).
   */
  handlers?: { root: string; onFailure: PlannedJob[] };
}

/** Flattens `specs` under `parent` (null for the root), iteratively in pre-order. */
function flatten(
  specs: JobSpec[],
  parent: string | null,
  parentNode: string,
  root: string | null,
  newId: () => string,
  defaults: TreeSpec['defaults'] = {},
): PlannedJob[] {
  const out: PlannedJob[] = [];
  const todo: Array<{ spec: JobSpec; parent: string | null; node: string; slot: string[] | null }> =
    [];
  const rootChildren: string[] = [];
  for (let i = specs.length - 1; i >= 0; i--) {
    todo.push({ spec: specs[i] as JobSpec, parent, node: parentNode, slot: rootChildren });
  }
  let treeRoot = root;
  while (todo.length > 0) {
    const { spec, parent: p, node: inherited, slot } = todo.pop()!;
    const id = newId();
    treeRoot ??= id;
    const node = spec.node ?? inherited;
    const kids = spec.children ?? [];
    const job: PlannedJob = {
      id,
      root: treeRoot,
      parent: p,
      title: spec.title,
      type: spec.type,
      node,
      params: spec.params ?? {},
      children: [],
      state: kids.length > 0 ? 'WAITING' : 'QUEUED',
    };
    if (spec.key !== undefined) job.key = spec.key;
    if (spec.timeoutMs !== undefined) job.timeoutMs = spec.timeoutMs;
    if (spec.pool !== undefined) {
      job.pool = spec.pool;
      job.poolSlots = spec.poolSlots ?? 1;
    }
    const retry = spec.retry ?? defaults.retry;
    if (retry !== undefined && retry.attempts > 1) job.retry = retry;
    if (spec.compensate) job.compensate = planCompensation(spec.compensate, spec.title, newId);
    slot?.push(id);
    out.push(job);
    for (let i = kids.length - 1; i >= 0; i--) {
      todo.push({ spec: kids[i] as JobSpec, parent: id, node, slot: job.children });
    }
  }
  return out;
}

/** SPEC §15: a compensation gets its handler job's id and title at submission. */
function planCompensation(
  c: CompensateSpec,
  jobTitle: string,
  newId: () => string,
): PlannedCompensation {
  const out: PlannedCompensation = {
    id: newId(),
    type: c.type,
    title: c.title ?? `undo: ${jobTitle}`.slice(0, LIMITS.maxTitle),
    params: c.params ?? {},
  };
  if (c.timeoutMs !== undefined) out.timeoutMs = c.timeoutMs;
  return out;
}

/** Jobs listed parents first, re-listed children first: the order a handler tree runs them in. */
function postOrder(jobs: PlannedJob[]): PlannedJob[] {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const out: PlannedJob[] = [];
  const first = jobs[0];
  if (!first) return out;
  const stack: Array<{ job: PlannedJob; expanded: boolean }> = [{ job: first, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      out.push(top.job);
      continue;
    }
    stack.push({ job: top.job, expanded: true });
    for (let i = top.job.children.length - 1; i >= 0; i--) {
      stack.push({ job: byId.get(top.job.children[i] as string)!, expanded: false });
    }
  }
  return out;
}

/** Plans a whole submission (SPEC §3 node assignment, §4 rule 1; §15 handlers). */
export function planTree(spec: TreeSpec, options: PlanOptions): PlannedTree {
  const jobs = flatten([spec.job], null, options.acceptingNode, null, options.newId, spec.defaults);
  const first = jobs[0];
  if (!first) throw new Error('planTree: empty tree');
  const plan: PlannedTree = { root: first.id, jobs };
  if (spec.onFailure || jobs.some((j) => j.compensate)) {
    const root = options.newId();
    const onFailure = spec.onFailure
      ? postOrder(flatten([spec.onFailure], root, '*', root, options.newId))
      : [];
    plan.handlers = { root, onFailure };
  }
  return plan;
}

/**
 * Plans children grafted under an existing job (SPEC §3 "growing a tree"):
 * they inherit that job's node; returns the new jobs and the ids of the
 * direct children.
 */
export function planChildren(
  specs: JobSpec[],
  parent: { id: string; root: string; node: string },
  newId: () => string,
): { jobs: PlannedJob[]; direct: string[] } {
  const jobs = flatten(specs, parent.id, parent.node, parent.root, newId);
  const direct = jobs.filter((j) => j.parent === parent.id).map((j) => j.id);
  return { jobs, direct };
}

/**
 * True when a job of the tree (or of its onFailure steps) holds a pool's
 * slots (SPEC §12): its scripts then touch the pool, so on Redis Cluster it
 * lives in the shard of the cluster-wide records (SPEC §17).
 */
export function namesAPool(spec: TreeSpec): boolean {
  const walk = (jobs: JobSpec[]): boolean =>
    jobs.some((j) => j.pool !== undefined || walk(j.children ?? []));
  return walk([spec.job, ...(spec.onFailure ? [spec.onFailure] : [])]);
}
