import type { JobState } from './types.js';

/** "QUEUED 2,390, SUCCESS 11": the states a subtree holds, the empty ones left out (CLI and UI). */
export function countsText(counts: Partial<Record<JobState, number>>): string {
  return Object.entries(counts)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([state, n]) => `${state} ${(n ?? 0).toLocaleString('en-US')}`)
    .join(', ');
}
