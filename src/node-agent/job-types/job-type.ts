/**
 * The interface every job type implements, built-in or plugin (SPEC §5):
 * a name, a JSON Schema for its params, and run(ctx).
 */
import type { JobOutcome, JobSpec, JsonObject, Outcome } from '../../shared/types.js';
import type { JobProcess, ProcessKind } from '../../contracts/job-process.js';

export interface JobContext<P extends JsonObject = JsonObject> {
  id: string;
  root: string;
  parent: string | null;
  title: string;
  /** The node running the job. */
  node: string;
  params: P;
  tags: Readonly<Record<string, string>>;
  /** The tree's context as it stood when the job started. */
  context: Readonly<JsonObject>;
  /** Results of the children, by `key` (where given) and by id. */
  results: { byKey: Readonly<Record<string, unknown>>; byId: Readonly<Record<string, unknown>> };
  /** Aborted when the tree aborts, the job times out or the agent gives up on it. */
  signal: AbortSignal;
  /** Appends a line to the job's log (source `job` unless a type says otherwise). */
  log(line: string, source?: 'job' | 'stdout' | 'stderr' | 'file'): void;
  /** Grafts jobs under a job of this tree that has not started (SPEC §3); resolves to their ids. */
  addChildren(parentId: string, jobs: JobSpec[]): Promise<string[]>;
  /** The URL of this agent's API (what shell jobs get as JOBTREE_SERVER). */
  serverUrl: string;
  /**
   * The job's own token for that API (shell jobs get it as
   * JOBTREE_JOB_TOKEN): it reads the job's tree and grafts into it, while
   * the job runs, and nothing else (SPEC §18).
   */
  jobToken: string;
  /** In a failure handler (SPEC §15): how the tree it handles ended, and why. */
  outcome?: Outcome;
  /**
   * Runs the job's process under a supervisor (SPEC §16): its output to the
   * log, the signal stopping its whole group, exit 0 a success; it outlives
   * an agent restart. Resolves with the job's outcome.
   */
  runProcess(kind: ProcessKind, process: JobProcess): Promise<JobOutcome>;
}

export interface JobType<P extends JsonObject = JsonObject> {
  name: string;
  /** JSON Schema of params, checked at submission by nodes that know the type. */
  paramsSchema: JsonObject;
  run(ctx: JobContext<P>): Promise<JobOutcome | void>;
}
