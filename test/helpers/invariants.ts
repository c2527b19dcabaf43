/**
 * The rules of SPEC §4 as checks on a finished tree, for tests that cannot
 * follow every step (the chaos soak): each returns what it found wrong.
 */
import { isTerminal } from '../../src/jobtree/states.js';
import { deriveTreeState } from '../../src/jobtree/tree-state.js';
import type { JobState, NestedJob, TreeView } from '../../src/shared/types.js';

function flatten(job: NestedJob): NestedJob[] {
  return [job, ...job.children.flatMap(flatten)];
}

export function finalTreeViolations(tree: TreeView): string[] {
  const out: string[] = [];
  const jobs = flatten(tree.job);
  const counts: Partial<Record<JobState, number>> = {};
  for (const job of jobs) {
    const at = `${tree.root}/${job.id} (${job.title})`;
    counts[job.state] = (counts[job.state] ?? 0) + 1;
    if (!isTerminal(job.state)) out.push(`${at} is ${job.state} in a finished tree`);
    if (job.startedAt !== undefined) {
      // rule 2: a job starts only after every child succeeded
      for (const child of job.children) {
        if (child.state !== 'SUCCESS')
          out.push(`${at} started though child ${child.id} is ${child.state}`);
        else if ((child.finishedAt ?? Infinity) > job.startedAt)
          out.push(`${at} started before child ${child.id} finished`);
      }
    }
    if (job.state === 'SUCCESS' && job.startedAt === undefined)
      out.push(`${at} succeeded unstarted`);
    if ((job.state === 'FAILED' || job.state === 'ABORTED') && !job.error)
      out.push(`${at} is ${job.state} with no error`);
    if (job.state === 'FAILED' && job.startedAt === undefined) out.push(`${at} failed unstarted`);
  }
  // rule 6: the tree's state follows from its jobs'
  const derived = deriveTreeState(counts);
  if (derived !== tree.state) out.push(`${tree.root} is ${tree.state}, its jobs say ${derived}`);
  return out;
}
