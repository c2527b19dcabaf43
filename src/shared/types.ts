/**
 * The data shapes that cross module borders: submitted specs, stored jobs,
 * API answers and status events (SPEC §3, §4, §7). Types only, no code.
 */

export type JobState = 'WAITING' | 'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'ABORTED';
export type TreeState = 'RUNNING' | 'SUCCESS' | 'FAILED' | 'ABORTED';

export type JsonObject = { [key: string]: unknown };

/** A job as submitted (SPEC §3). */
/** SPEC §14: how a failed job is tried again. */
export interface RetryPolicy {
  /** Tries in all, the first one included (1–20). */
  attempts: number;
  backoff?: { type: 'fixed' | 'exponential'; delayMs: number; maxDelayMs?: number };
  /** The error codes that are retried; every one but the abort codes when absent. */
  on?: string[];
}

/** One try of a job that was tried again (SPEC §14). */
export interface Attempt {
  startedAt: number;
  finishedAt: number;
  error: JobError;
  node: string;
}

export interface JobSpec {
  title: string;
  type: string;
  params?: JsonObject;
  node?: string;
  key?: string;
  timeoutMs?: number;
  /** The pool whose slots the job holds while it runs (SPEC §12). */
  pool?: string;
  /** How many of the pool's slots it holds (default 1). */
  poolSlots?: number;
  retry?: RetryPolicy;
  /** SPEC §15: run when the tree ends FAILED or ABORTED after this job succeeded. */
  compensate?: CompensateSpec;
  children?: JobSpec[];
}

/** A job's compensation handler (SPEC §15): runs on the node that ran the job. */
export interface CompensateSpec {
  type: string;
  params?: JsonObject;
  title?: string;
  timeoutMs?: number;
}

/** A tree as submitted. */
export interface TreeSpec {
  tags?: Record<string, string>;
  context?: JsonObject;
  /** "reject": refuse with 503 NO_SLOTS unless every leaf can start at once (SPEC §12). */
  admission?: 'wait' | 'reject';
  /** What every job of the tree has unless it says otherwise. */
  defaults?: { retry?: RetryPolicy };
  job: JobSpec;
  /** SPEC §15: runs once, after the compensations, when the tree ends FAILED or ABORTED. */
  onFailure?: JobSpec;
}

/** What a failure handler is told of the tree it handles (SPEC §15 `ctx.outcome`). */
export interface Outcome {
  state: 'FAILED' | 'ABORTED';
  /** The job whose end brought the tree down (the one a user aborted, for ABORTED). */
  failed: { job: string; title: string; error: JobError | null } | null;
}

/**
 * Where a tree's handler tree stands (SPEC §15): PENDING while the tree
 * runs, SKIPPED when it ended SUCCESS, was aborted without handlers or had
 * nothing to undo, else the handler tree's own state.
 */
export type HandlersState = 'PENDING' | 'SKIPPED' | TreeState;

export interface JobError {
  code: string;
  message: string;
  /** For ABORTED_BY_FAILURE / ABORTED_BY_USER: the job that caused it. */
  job?: string;
}

/** What every stored job has from its submission on. `children` are ids. */
interface JobFields {
  id: string;
  root: string;
  parent: string | null;
  key?: string;
  title: string;
  type: string;
  node: string;
  params: JsonObject;
  timeoutMs?: number;
  pool?: string;
  poolSlots?: number;
  retry?: RetryPolicy;
  /** The compensation planned for this job, with the id its handler job will have. */
  compensate?: PlannedCompensation;
  children: string[];
}

export interface PlannedCompensation {
  id: string;
  type: string;
  title: string;
  params: JsonObject;
  timeoutMs?: number;
}

/** A job flattened for storage: what `planTree` produces and `submitTree` writes. */
export interface PlannedJob extends JobFields {
  state: 'WAITING' | 'QUEUED';
}

/** A job as the API shows it (SPEC §7). */
export interface JobView extends JobFields {
  state: JobState;
  createdAt: number;
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  summary?: string;
  error?: JobError;
  result?: unknown;
  /** The version of its job type the job ran (SPEC §11), written when it ends. */
  typeVersion?: string;
  /** SPEC §14: the number of the current (or last) try of `tries`, and the tries that failed before it. */
  attempt?: number;
  tries?: number;
  attempts?: Attempt[];
  /** While a retry waits: when it may be claimed. */
  runAt?: number;
}

/** A job nested with its children, as in a tree answer. */
/** One job a title search of a tree found (SPEC §17): enough to show it and open its log. */
export interface FoundJob {
  id: string;
  parent: string | null;
  title: string;
  state: JobState;
  node: string;
}

export interface NestedJob extends Omit<JobView, 'children'> {
  children: NestedJob[];
  /**
   * SPEC §17, in a tree read in pages: how many children the job has (its
   * `children` may list only the first page), the cursor of the next page
   * (null when all are listed), and the per-state counts of the job and its
   * whole subtree when that subtree is not listed whole.
   */
  childCount?: number;
  next?: string | null;
  counts?: Partial<Record<JobState, number>>;
}

export interface TreeView {
  root: string;
  state: TreeState;
  /** True while a running tree is paused: none of its jobs starts. */
  paused: boolean;
  seq: number;
  tags: Record<string, string>;
  context: JsonObject;
  job: NestedJob;
  /** SPEC §15: the handler tree of a tree that has handlers. */
  handlers?: { root: string; state: HandlersState };
  /** In a handler tree: the tree it handles, and what it is told of that tree's end. */
  handlerOf?: string;
  outcome?: Outcome;
}

export interface TreeSummary {
  root: string;
  title: string;
  state: TreeState;
  paused: boolean;
  tags: Record<string, string>;
  createdAt: number;
  finishedAt?: number;
  summary?: string;
  counts: Partial<Record<JobState, number>>;
  /** In a handler tree: the tree it handles (SPEC §15). */
  handlerOf?: string;
}

/** The Pub/Sub message of SPEC §4 rule 8. */
export interface StatusEvent {
  root: string;
  job: string;
  state: JobState;
  prev: JobState | null;
  node: string;
  at: number;
  seq: number;
  /** A retry (RUNNING → QUEUED, SPEC §14): the next try's number, the failed try's error, when it may start. */
  attempt?: number;
  error?: JobError;
  runAt?: number;
}

/** Published on `<prefix>:paused` when a tree is paused or resumed. */
export interface PausedEvent {
  root: string;
  paused: boolean;
  at: number;
}

export interface NodeView {
  name: string;
  /** `draining` once asked to drain while jobs still run on it, then `drained` (SPEC §16). */
  state: 'active' | 'draining' | 'drained';
  url: string;
  alive: boolean;
  lastHeartbeat: number | null;
  heartbeatAgeMs: number | null;
  concurrency: number;
  running: number;
  queued: number;
  version: string;
  types: string[];
  /** What the node has loaded of each type, or why it failed to (SPEC §11). */
  typeVersions: Record<string, LoadedTypeInfo>;
  /** Slots free for new work: concurrency less the jobs it runs now (SPEC §12). */
  free: number;
  startedAt: number | null;
}

/** Where a job type came from (SPEC §11). */
export type TypeSource = 'builtin' | 'dir' | 'registered';

/**
 * One type as a node publishes it: the version it runs now with its params
 * schema, or the error of the version that failed to load (with the version
 * still in use, if any).
 */
export interface LoadedTypeInfo {
  source: TypeSource;
  version?: string;
  sha256?: string;
  kind?: 'builtin' | 'module' | 'executable';
  paramsSchema?: JsonObject;
  error?: string;
}

/** A pool as GET /api/v1/pools shows it (SPEC §12). */
export interface PoolView {
  name: string;
  slots: number;
  used: number;
  /** Jobs a claim found waiting for this pool's slots. */
  queued: number;
  description?: string;
}

/** What `run(ctx)` may return (SPEC §5). */
export interface JobOutcome {
  result?: unknown;
  summary?: string;
  context?: JsonObject;
}
