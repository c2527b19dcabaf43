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
 *   RUNNING ──failed try, retries left──► QUEUED (now, or when its delay is due)
 *
 * This is the one home of the table: the status decoder drops a message
 * whose move it forbids (a record written by hand or a bug), and the model
 * test checks every move the Lua scripts announce against it.
 */
import type { JobState, TreeState } from '../shared/types.js';

export const TERMINAL: ReadonlySet<JobState> = new Set(['SUCCESS', 'FAILED', 'ABORTED']);

export const TREE_STATES: readonly TreeState[] = ['RUNNING', 'SUCCESS', 'FAILED', 'ABORTED'];

const ALLOWED: Readonly<Record<JobState, readonly JobState[]>> = {
  WAITING: ['QUEUED', 'ABORTED'],
  QUEUED: ['RUNNING', 'WAITING', 'ABORTED'],
  RUNNING: ['SUCCESS', 'FAILED', 'ABORTED', 'QUEUED'],
  SUCCESS: [],
  FAILED: [],
  ABORTED: [],
};

/** The states a job is born in: a leaf QUEUED, a parent WAITING. */
const BORN: readonly JobState[] = ['WAITING', 'QUEUED'];

/** True when a job may move from `from` (null: a new job) to `to`. */
export function isAllowedTransition(from: JobState | null, to: JobState): boolean {
  return from === null ? BORN.includes(to) : ALLOWED[from].includes(to);
}

/** True for a job (or tree) that has ended: nothing moves it again. */
export function isTerminal(state: string): boolean {
  return (TERMINAL as ReadonlySet<string>).has(state);
}

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && Object.hasOwn(ALLOWED, value);
}

export function isTreeState(value: unknown): value is TreeState {
  return typeof value === 'string' && (TREE_STATES as readonly string[]).includes(value);
}
