/**
 * The state of a whole tree from the states of its jobs (SPEC §4 rule 6).
 * Pure; the store keeps per-state counts so it can apply the same rule.
 */
import type { JobState, TreeState } from '../shared/types.js';

/**
 * RUNNING while any job is non-terminal; then SUCCESS if all succeeded,
 * FAILED if any failed, else ABORTED.
 */
export function deriveTreeState(counts: Partial<Record<JobState, number>>): TreeState {
  const n = (s: JobState): number => counts[s] ?? 0;
  if (n('WAITING') + n('QUEUED') + n('RUNNING') > 0) return 'RUNNING';
  if (n('FAILED') > 0) return 'FAILED';
  if (n('ABORTED') > 0) return 'ABORTED';
  return 'SUCCESS';
}
