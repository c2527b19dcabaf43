/**
 * What the timeline draws of a live tree (src/jobtree/live-tree.ts): rows,
 * bars, the critical path. Pure; no DOM.
 */
import type { LiveTree } from '../jobtree/live-tree.js';
import type { JobState, NestedJob } from '../shared/types.js';

/** The bars of a job's failed tries on the timeline (SPEC §14: each try drawn). */
export function attemptBars(job: NestedJob, t0: number, t1: number): Bar[] {
  const span = Math.max(1, t1 - t0);
  const pct = (t: number) => ((t - t0) / span) * 100;
  return (job.attempts ?? []).map((a) => ({
    queuedLeft: pct(a.startedAt),
    queuedWidth: 0,
    left: pct(a.startedAt),
    width: Math.max(0.3, pct(a.finishedAt) - pct(a.startedAt)),
  }));
}

/** Children a job may have before the timeline draws them as one aggregated row. */
export const AGGREGATE_ABOVE = 50;

/** A timeline row: one job, or (SPEC §17) all the children of a big job as one row. */
export type TimelineRow =
  | { kind: 'job'; job: NestedJob; depth: number }
  | {
      kind: 'group';
      parent: NestedJob;
      depth: number;
      /** Every child, listed in the page or not. */
      count: number;
      /** Jobs by state: the parent's subtree counts when the page has them, else the listed children's. */
      counts: Partial<Record<JobState, number>>;
      /** The listed children's earliest queue or start and latest end (or now), if any ran. */
      from?: number;
      to?: number;
    };

/**
 * Jobs in tree order with their depth; the children of a job with more
 * than AGGREGATE_ABOVE of them (or more than its page lists) as one row,
 * unless the job is in `expanded`.
 */
export function timelineRows(
  job: NestedJob,
  now: number,
  expanded: ReadonlySet<string> = new Set(),
  depth = 0,
): TimelineRow[] {
  const rows: TimelineRow[] = [{ kind: 'job', job, depth }];
  const count = job.childCount ?? job.children.length;
  if (count === 0) return rows;
  if (count <= AGGREGATE_ABOVE || expanded.has(job.id)) {
    for (const c of job.children) rows.push(...timelineRows(c, now, expanded, depth + 1));
    return rows;
  }
  let from: number | undefined;
  let to: number | undefined;
  const listed: Partial<Record<JobState, number>> = {};
  for (const c of job.children) {
    listed[c.state] = (listed[c.state] ?? 0) + 1;
    const start = c.queuedAt ?? c.startedAt;
    if (start === undefined) continue;
    from = Math.min(from ?? start, start);
    to = Math.max(to ?? start, c.finishedAt ?? (c.startedAt !== undefined ? now : start));
  }
  const counts = { ...(job.counts ?? listed) };
  // a parent's subtree counts hold the parent itself: the row is about its children
  if (job.counts) counts[job.state] = (counts[job.state] ?? 1) - 1;
  rows.push({
    kind: 'group',
    parent: job,
    depth: depth + 1,
    count,
    counts,
    ...(from !== undefined ? { from, to } : {}),
  });
  return rows;
}

/**
 * The critical path: from the root, each time the child that finished
 * last, the one its parent waited for. Shortening anything else would not
 * have made the tree finish sooner.
 */
export function criticalPath(root: NestedJob): Set<string> {
  // A running child counts as finishing last: the parent is waiting for it now.
  const end = (j: NestedJob): number =>
    j.finishedAt ?? (j.startedAt !== undefined ? Infinity : -Infinity);
  const path = new Set<string>();
  let at: NestedJob | undefined = root;
  while (at) {
    path.add(at.id);
    let last: NestedJob | undefined;
    for (const c of at.children) if (end(c) > -Infinity && (!last || end(c) > end(last))) last = c;
    at = last;
  }
  return path;
}

export interface Bar {
  /** Percent of the timeline's width. */
  queuedLeft: number;
  left: number;
  width: number;
  queuedWidth: number;
}

/** Where a job's bars go on a timeline from `t0` to `t1` (ms), at time `now`. */
export function barOf(job: NestedJob, t0: number, t1: number, now: number): Bar | null {
  const span = Math.max(1, t1 - t0);
  const pct = (t: number) => ((t - t0) / span) * 100;
  if (job.startedAt === undefined) {
    if (job.queuedAt === undefined) return null;
    const end = job.finishedAt ?? now;
    return {
      queuedLeft: pct(job.queuedAt),
      queuedWidth: pct(end) - pct(job.queuedAt),
      left: pct(end),
      width: 0,
    };
  }
  const end = job.finishedAt ?? now;
  const queued = job.queuedAt ?? job.startedAt;
  return {
    queuedLeft: pct(queued),
    queuedWidth: pct(job.startedAt) - pct(queued),
    left: pct(job.startedAt),
    width: Math.max(0.3, pct(end) - pct(job.startedAt)),
  };
}

/** The timeline's span: the tree's creation to its last end (or now while it runs). */
export function timelineSpan(tree: LiveTree, now: number): [number, number] {
  let t1 = tree.view.job.createdAt;
  for (const j of tree.jobs.values())
    t1 = Math.max(t1, j.finishedAt ?? (j.startedAt !== undefined ? now : t1));
  if (tree.view.state === 'RUNNING') t1 = Math.max(t1, now);
  return [tree.view.job.createdAt, t1];
}
