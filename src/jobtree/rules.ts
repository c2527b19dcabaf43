/**
 * The transition rules of SPEC §4 as an in-memory reference model: which
 * parent becomes QUEUED, which jobs abort, what a finish or an abort does.
 * Pure (no I/O, no clock). The Lua scripts of src/store implement the same
 * rules; test/store/model.test.ts runs both on random events and compares.
 */
import type { JobState, RetryPolicy } from '../shared/types.js';
import { isTerminal } from './states.js';

export interface ModelJob {
  id: string;
  parent: string | null;
  children: string[];
  state: JobState;
  /** Children that have not succeeded yet; the job is queued when it reaches 0. */
  pending: number;
  /** Set on a RUNNING job when its tree aborts: it will end ABORTED. */
  abortRequested: boolean;
  /** SPEC §14: the number of the current try, of `tries` in all. */
  attempt: number;
  tries: number;
}

export interface Transition {
  job: string;
  prev: JobState | null;
  state: JobState;
}

export type TreeModel = Map<string, ModelJob>;

export type FinishOutcome = 'SUCCESS' | 'FAILED' | 'ABORTED';

/** What the model needs of a planned job. */
export interface PlannedShape {
  id: string;
  parent: string | null;
  children: readonly string[];
  retry?: RetryPolicy;
}

/**
 * True when a failed try that ended with `code` is tried again under
 * `policy` (SPEC §14), tries left aside: an abort (ABORTED_BY_*) never is;
 * with `on`, only the codes it lists.
 */
export function retriesCode(code: string, policy: RetryPolicy | undefined): boolean {
  if (code.startsWith('ABORTED_BY_')) return false;
  return policy?.on ? policy.on.includes(code) : true;
}

/** Builds a model from planned jobs (root first). */
export function buildModel(jobs: ReadonlyArray<PlannedShape>): TreeModel {
  const model: TreeModel = new Map();
  for (const j of jobs) {
    model.set(j.id, {
      id: j.id,
      parent: j.parent,
      children: [...j.children],
      state: j.children.length > 0 ? 'WAITING' : 'QUEUED',
      pending: j.children.length,
      abortRequested: false,
      attempt: 1,
      tries: j.retry?.attempts ?? 1,
    });
  }
  return model;
}

function move(job: ModelJob, state: JobState, out: Transition[]): void {
  out.push({ job: job.id, prev: job.state, state });
  job.state = state;
}

/** True while any job of the tree is non-terminal (§4 rule 6). */
export function isTreeActive(model: TreeModel): boolean {
  for (const j of model.values()) if (!isTerminal(j.state)) return true;
  return false;
}

/**
 * Aborts every non-terminal job (§4 rule 4): WAITING and QUEUED end ABORTED
 * at once, RUNNING ones are flagged and end ABORTED when they stop.
 * Returns the transitions and the ids of the running jobs to signal.
 */
export function abortRest(model: TreeModel): { transitions: Transition[]; signal: string[] } {
  const transitions: Transition[] = [];
  const signal: string[] = [];
  for (const j of model.values()) {
    if (j.state === 'WAITING' || j.state === 'QUEUED') move(j, 'ABORTED', transitions);
    else if (j.state === 'RUNNING' && !j.abortRequested) {
      j.abortRequested = true;
      signal.push(j.id);
    }
  }
  return { transitions, signal };
}

/** A claim: QUEUED → RUNNING, at most once (§4 rule 3). Null when not claimable. */
export function claim(model: TreeModel, id: string): Transition | null {
  const job = model.get(id);
  if (!job || job.state !== 'QUEUED') return null;
  const out: Transition[] = [];
  move(job, 'RUNNING', out);
  return out[0] ?? null;
}

/**
 * A running job reports its end. A flagged job ends ABORTED whatever it
 * reports; a success may queue its parent (§4 rule 2); a failed try with
 * tries left goes back to QUEUED (§14: `error` is its code and the job's
 * policy); anything else aborts the rest of the tree (§4 rule 4).
 * Null when the job is not RUNNING.
 */
export function finish(
  model: TreeModel,
  id: string,
  outcome: FinishOutcome,
  error: { code: string; policy?: RetryPolicy } = { code: 'FAILED' },
): { transitions: Transition[]; signal: string[] } | null {
  const job = model.get(id);
  if (!job || job.state !== 'RUNNING') return null;
  const transitions: Transition[] = [];
  const again = job.attempt < job.tries && retriesCode(error.code, error.policy);
  if (outcome === 'FAILED' && again && !job.abortRequested) {
    job.attempt += 1;
    move(job, 'QUEUED', transitions);
    return { transitions, signal: [] };
  }
  const final: JobState = job.abortRequested ? 'ABORTED' : outcome;
  move(job, final, transitions);
  if (final === 'SUCCESS') {
    const parent = job.parent === null ? undefined : model.get(job.parent);
    if (parent) {
      parent.pending -= 1;
      if (parent.pending === 0 && parent.state === 'WAITING') move(parent, 'QUEUED', transitions);
    }
    return { transitions, signal: [] };
  }
  if (job.abortRequested) return { transitions, signal: [] };
  const rest = abortRest(model);
  return { transitions: [...transitions, ...rest.transitions], signal: rest.signal };
}

/**
 * A user abort of one job (§4 rule 5): the job ends ABORTED (at once, or
 * when it stops if running) and the rest of the tree is aborted. Null when
 * the tree is already finished (the API answers 409).
 */
export function abortJob(
  model: TreeModel,
  id: string,
): { transitions: Transition[]; signal: string[] } | null {
  if (!model.has(id) || !isTreeActive(model)) return null;
  return abortRest(model);
}

/**
 * Grafts new children under a job that has not started (§3): a QUEUED
 * target goes back to WAITING. Null when the target has started or ended.
 */
export function addChildren(
  model: TreeModel,
  target: string,
  jobs: ReadonlyArray<PlannedShape>,
): Transition[] | null {
  const t = model.get(target);
  if (!t || (t.state !== 'WAITING' && t.state !== 'QUEUED')) return null;
  const added = buildModel(jobs);
  const transitions: Transition[] = [];
  for (const j of added.values()) {
    model.set(j.id, j);
    if (j.parent === target) {
      t.children.push(j.id);
      t.pending += 1;
    }
  }
  if (t.state === 'QUEUED') move(t, 'WAITING', transitions);
  return transitions;
}
