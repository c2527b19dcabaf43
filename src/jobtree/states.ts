/**
 * Job states and the transitions allowed between them (SPEC §4). Pure data;
 * the Lua scripts in src/store enforce the same table.
 *
 *              submit
 *   (leaf) ──────────────► QUEUED ──claim──► RUNNING ──► SUCCESS
 *   (parent) ─► WAITING ──last child ok──┘  ▲     │ └────► FAILED
 *                 ▲  │                     │     └──────► ABORTED
 *                 └──┘ addChildren         │ (abort flag: ends ABORTED)
 *   WAITING / QUEUED ──tree aborts──► ABORTED
 */
import type { JobState, TreeState } from '../shared/types.js';

export const TERMINAL: ReadonlySet<JobState> = new Set(['SUCCESS', 'FAILED', 'ABORTED']);

export const TREE_STATES: readonly TreeState[] = ['RUNNING', 'SUCCESS', 'FAILED', 'ABORTED'];

const ALLOWED: Readonly<Record<JobState, readonly JobState[]>> = {
  WAITING: ['QUEUED', 'ABORTED'],
  QUEUED: ['RUNNING', 'WAITING', 'ABORTED'],
  RUNNING: ['SUCCESS', 'FAILED', 'ABORTED'],
  SUCCESS: [],
  FAILED: [],
  ABORTED: [],
};

/** True when a job may move from `from` to `to`. */
export function isAllowedTransition(from: JobState, to: JobState): boolean {
  return ALLOWED[from].includes(to);
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && Object.hasOwn(ALLOWED, value);
}

export function isTreeState(value: unknown): value is TreeState {
  return typeof value === 'string' && (TREE_STATES as readonly string[]).includes(value);
}
