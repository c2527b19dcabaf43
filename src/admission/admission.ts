/**
 * The one admission room (issue 12): every way work enters a tree — a
 * submission over the API, a graft from a running job or over HTTP, and
 * (next) a definition's run — is validated here against the cluster's
 * types, nodes and pools, planned, and handed to the store as a plain
 * plan. Nothing is written unless all of it is good.
 */
import { LIMITS } from '../jobtree/limits.js';
import { collectNeeds } from '../jobtree/needs.js';
import { namesAPool, planChildren, planTree, type PlannedTree } from '../jobtree/plan.js';
import { validateChildren, validateTreeSpec } from '../jobtree/validate.js';
import type { JobView, PlannedJob } from '../shared/types.js';
import type { NodePort, ReadPort, RecordsPort, RunLink, TreeWritePort } from '../store/store.js';
import type { TreeSpec } from '../shared/types.js';
import { clusterCatalog, type LocalTypes } from './cluster-catalog.js';

export interface AdmissionOptions {
  store: TreeWritePort & ReadPort & RecordsPort & NodePort;
  /** The node whose API takes the work: a root without `node` goes there. */
  node: string;
  types: LocalTypes;
  /** A node queue may hold this many entries; more is a 503 BACKLOG_FULL. */
  maxQueued: number;
}

export class Admission {
  constructor(private readonly options: AdmissionOptions) {}

  /** Validates a whole tree as a submission would be, writing nothing (a definition's PUT check). */
  async check(body: unknown): Promise<TreeSpec> {
    const { store, node, types } = this.options;
    const { job, onFailure } = (body ?? {}) as { job?: unknown; onFailure?: unknown };
    const catalog = await clusterCatalog(store, types, node, collectNeeds([job, onFailure]));
    return validateTreeSpec(body, catalog, node);
  }

  /**
   * Admits a whole tree (SPEC §3) and stores it in one script. With
   * admission "reject" (here or in the body) it is refused with 503
   * NO_SLOTS unless each leaf can start at once (SPEC §12). A definition's
   * run (`run`) is counted, ordered and made idempotent in the same script;
   * `created` is false when its idempotency key answered an earlier run,
   * whose root is then the answer's.
   */
  async submit(
    body: unknown,
    opts: { admission?: 'reject'; run?: RunLink } = {},
  ): Promise<PlannedTree & { created: boolean }> {
    const { store, node, maxQueued } = this.options;
    const spec = await this.check(body);
    // SPEC §17: a definition's run and a tree that holds pool slots touch cluster-wide records
    const ids = store.idSource({ shared: opts.run !== undefined || namesAPool(spec) });
    const plan = planTree(spec, { acceptingNode: node, newId: ids });
    const stored = await store.submitTree({
      root: plan.root,
      title: spec.job.title,
      node: plan.jobs[0]?.node ?? node,
      tags: spec.tags ?? {},
      context: spec.context ?? {},
      jobs: plan.jobs,
      ...(plan.handlers ? { handlers: plan.handlers } : {}),
      at: Date.now(),
      maxQueued,
      admission: opts.admission ?? spec.admission ?? 'wait',
      ...(opts.run ? { run: opts.run } : {}),
    });
    return stored.created
      ? { ...plan, created: true }
      : { root: stored.root, jobs: [], created: false };
  }

  /**
   * Admits `{jobs:[...]}` under a job that has not started (SPEC §3
   * growing a tree); the store refuses it if the target started meanwhile.
   */
  async graft(targetId: string, body: unknown): Promise<PlannedJob[]> {
    const { store, types, node } = this.options;
    const target = await store.getJob(targetId);
    const [total, depth] = await Promise.all([store.treeTotal(target.root), this.depthOf(target)]);
    const specs = (body as { jobs?: unknown } | undefined)?.jobs;
    const needs = collectNeeds(Array.isArray(specs) ? specs : []);
    const catalog = await clusterCatalog(store, types, node, needs);
    const valid = validateChildren(body, catalog, {
      existingJobs: total,
      depth,
      node: target.node,
    });
    const ids = store.idSource({ near: target.root });
    const { jobs, direct } = planChildren(valid, target, ids);
    await store.addChildren(
      {
        root: target.root,
        target: targetId,
        jobs,
        direct,
        maxJobs: LIMITS.maxJobs,
        // SPEC §15: kept only if the tree has no handler tree id yet
        ...(jobs.some((j) => j.compensate) ? { handlersRoot: ids() } : {}),
      },
      Date.now(),
    );
    return jobs;
  }

  /** How deep `job` sits in its tree (the root is 1). */
  private async depthOf(job: JobView): Promise<number> {
    let depth = 1;
    let at = job;
    while (at.parent !== null && depth <= LIMITS.maxDepth) {
      at = await this.options.store.getJob(at.parent);
      depth += 1;
    }
    return depth;
  }
}
