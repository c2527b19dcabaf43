/**
 * A tree kept live from the status channel (SPEC §6), the one core the UI
 * and the CLI's follow share: a snapshot from `status:subscribe`, then only
 * events with a higher seq; an event for a job the snapshot lacks (a graft)
 * asks for a new snapshot; the tree's state derived as the server does
 * (§4 rule 6); a pause hint, the last heard winning over a snapshot read
 * before it (hints have no seq, but come in the order they were written,
 * each after its write). Pure: no I/O, no DOM.
 */
import type { JobState, NestedJob, StatusEvent, TreeView } from '../shared/types.js';
import { isTerminal } from './states.js';
import { deriveTreeState } from './tree-state.js';

export interface LiveTree {
  view: TreeView;
  seq: number;
  jobs: Map<string, NestedJob>;
  /** SPEC §17: the snapshot lists only pages of the tree (a job has more children than listed). */
  partial: boolean;
}

function index(job: NestedJob, into: Map<string, NestedJob>): Map<string, NestedJob> {
  into.set(job.id, job);
  for (const c of job.children) index(c, into);
  return into;
}

/** A live tree from a snapshot at `seq`; `paused`, the last pause hint heard, if any. */
export function fromSnapshot(view: TreeView, seq: number, paused?: boolean): LiveTree {
  const jobs = index(view.job, new Map());
  const partial = [...jobs.values()].some((j) => j.next !== undefined && j.next !== null);
  if (paused !== undefined) view.paused = paused;
  return { view, seq, jobs, partial };
}

/** A pause hint (`tree:paused`): true when it changed what the tree shows. */
export function applyPaused(tree: LiveTree, paused: boolean): boolean {
  if (tree.view.paused === paused) return false;
  tree.view.paused = paused;
  return true;
}

/**
 * Applies one event in place. Returns 'stale' for one at or below the
 * snapshot's seq, 'unknown' for a job the snapshot lacks (a graft: take a
 * new snapshot), else 'applied'.
 */
export function applyStatus(tree: LiveTree, e: StatusEvent): 'applied' | 'stale' | 'unknown' {
  if (e.seq <= tree.seq) return 'stale';
  // a paged snapshot keeps the whole tree's counts on its root (SPEC §17)
  const counts = tree.partial ? tree.view.job.counts : undefined;
  if (counts) {
    if (e.prev) counts[e.prev] = (counts[e.prev] ?? 1) - 1;
    counts[e.state] = (counts[e.state] ?? 0) + 1;
  }
  const job = tree.jobs.get(e.job);
  if (!job) {
    if (tree.partial) tree.seq = e.seq; // counted above: not to be counted twice
    return 'unknown';
  }
  tree.seq = e.seq;
  if (e.attempt !== undefined && e.prev === 'RUNNING') retried(job, e);
  job.state = e.state;
  job.node = e.node;
  if (e.state === 'QUEUED') job.queuedAt = e.at;
  else if (e.state === 'RUNNING') {
    job.startedAt = e.at;
    delete job.runAt;
  } else if (isTerminal(e.state)) job.finishedAt = e.at;
  if (!tree.partial) {
    const all: Partial<Record<JobState, number>> = {};
    for (const j of tree.jobs.values()) all[j.state] = (all[j.state] ?? 0) + 1;
    tree.view.state = deriveTreeState(all);
  } else if (counts) tree.view.state = deriveTreeState(counts);
  return 'applied';
}

/** A try failed and the job goes again (SPEC §14): keep the try, start the next afresh. */
function retried(job: NestedJob, e: StatusEvent): void {
  const tried = {
    startedAt: job.startedAt ?? e.at,
    finishedAt: e.at,
    error: e.error ?? { code: 'FAILED', message: '' },
    node: job.node,
  };
  job.attempts = [...(job.attempts ?? []), tried];
  job.attempt = e.attempt;
  if (e.runAt !== undefined) job.runAt = e.runAt;
  delete job.startedAt;
}
