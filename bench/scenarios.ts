/**
 * The benchmark scenarios, as trees (the same shapes as the BullMQ peer in
 * ../shared/bench/bullmq): flat, complete tree, chain, single job.
 */
import type { JobSpec } from '../src/shared/types.js';

/**
 * A root and n leaves of `type`: noop, the module type bench-noop run in a
 * worker, or shell (`true`, each under its supervisor).
 */
export function flatTree(n: number, type = 'noop'): JobSpec {
  const params = type === 'shell' ? { params: { command: 'true' } } : {};
  return {
    title: 'flat',
    type: 'noop',
    children: Array.from({ length: n }, (_, i) => ({ title: `j${i}`, type, ...params })),
  };
}

/** A complete tree: fan-out 10, depth 3 below the root gives 1 + 10 + 100 + 1000 jobs. */
export function completeTree(fanOut: number, depth: number): JobSpec {
  const make = (level: number, name: string): JobSpec => ({
    title: name,
    type: 'noop',
    ...(level < depth
      ? { children: Array.from({ length: fanOut }, (_, i) => make(level + 1, `${name}.${i}`)) }
      : {}),
  });
  return make(0, 't');
}

/** A chain: every job has exactly one child. */
export function chain(length: number): JobSpec {
  let job: JobSpec = { title: `c${length - 1}`, type: 'noop' };
  for (let i = length - 2; i >= 0; i--) job = { title: `c${i}`, type: 'noop', children: [job] };
  return job;
}

export function countJobs(job: JobSpec): number {
  return 1 + (job.children ?? []).reduce((n, c) => n + countJobs(c), 0);
}
