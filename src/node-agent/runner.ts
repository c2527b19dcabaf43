/**
 * Runs one claimed job (Sidekiq's Processor): its log file, AbortSignal,
 * timeout, the job type's run(ctx), the result limits, then the Reporter.
 * A job's failure is data for the Reporter, never an exception out of here.
 */
import type { Logger } from 'pino';
import { LIMITS } from '../jobtree/limits.js';
import { coerceError } from '../shared/errors.js';
import type { JobError, JobOutcome, JobSpec, JobState } from '../shared/types.js';
import type { JobLog } from '../logstream/log-file.js';
import type { JobLogs } from '../logstream/job-logs.js';
import type { ClaimedJob, FinishReport } from '../store/store.js';
import type { Delivery, Reporter } from './reporter.js';
import { JobFailure, type JobProcess, type ProcessKind } from '../contracts/job-process.js';
import type { JobContext } from './job-types/job-type.js';
import type { TypeEntry, TypeRegistry } from './job-types/registry.js';
import { outcomeOf, type ProcessHost } from '../supervisor/host.js';
import { DetachedError, type Supervised } from '../supervisor/supervised.js';

/** Why a running job was stopped from outside. */
export type StopReason = 'tree' | 'timeout' | 'shutdown';

export interface RunnerDeps {
  reporter: Reporter;
  types: TypeRegistry;
  node: string;
  token: string;
  logs: JobLogs;
  /** Where shell and executable jobs run (SPEC §16). */
  processes: ProcessHost;
  serverUrl: string;
  /** What every job's environment starts from: the agent's, without its settings (job-env.ts). */
  env: Readonly<Record<string, string>>;
  /** The job's own token for this agent's API (SPEC §18), good while it runs. */
  jobToken(job: ClaimedJob): string;
  logger: Logger;
  /** Grafts children (SPEC §3); the agent validates and plans them. */
  addChildren(parentId: string, jobs: JobSpec[]): Promise<string[]>;
  /** False once the agent shuts down: no freed parent is taken on then. */
  takesWork(): boolean;
  /** Called with each end as stored (QUEUED with `retryAt` for a try that goes again, SPEC §14). */
  onFinished?(job: ClaimedJob, state: JobState, retryAt?: number): void;
}

export interface RunningJob {
  job: ClaimedJob;
  stop(reason: StopReason): void;
  /** Resolves with the freed parent claimed for this slot, if any. */
  done: Promise<ClaimedJob | null>;
}

function errorOf(err: unknown): JobError {
  if (err instanceof JobFailure) return { code: err.code, message: err.message };
  return { code: 'THROWN', message: coerceError(err).message };
}

function checkOutcome(out: JobOutcome | void): JobOutcome {
  const outcome = out ?? {};
  if (outcome.result !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(outcome.result) ?? '');
    if (size > LIMITS.maxResultBytes)
      throw new JobFailure('RESULT_TOO_LARGE', `result is ${size} bytes (max 1 MiB)`);
  }
  return outcome;
}

/** A job's supervised process, once it has one (a shell or executable job). */
interface Held {
  supervised?: Supervised;
  kind?: ProcessKind;
}

/**
 * A job process's environment (SPEC §5, §18): the agent's without its
 * settings, the job's own `env`, then the job's identity, which the job's
 * `env` cannot replace.
 */
function processEnv(job: ClaimedJob, deps: RunnerDeps, own: JobProcess['env']) {
  return {
    ...deps.env,
    ...own,
    JOBTREE_JOB_ID: job.id,
    JOBTREE_ROOT_ID: job.root,
    JOBTREE_NODE: deps.node,
    JOBTREE_SERVER: deps.serverUrl,
    JOBTREE_JOB_TOKEN: deps.jobToken(job),
    ...(job.outcome ? { JOBTREE_OUTCOME: JSON.stringify(job.outcome) } : {}),
  };
}

/** Follows a supervised process to its end; a stop of the job stops its group. */
async function awaitSupervised(held: Required<Held>, stop: Stopper, log: JobLog) {
  const { supervised, kind } = held;
  const onStop = (): void => supervised.stop();
  stop.signal.addEventListener('abort', onStop, { once: true });
  if (stop.reason) onStop();
  try {
    const end = await supervised.ended;
    if (end.logError) log.write('agent', `${end.lostLines ?? 0} log lines lost: ${end.logError}`);
    return outcomeOf(kind, end, supervised.dir);
  } finally {
    stop.signal.removeEventListener('abort', onStop);
  }
}

function contextFor(
  job: ClaimedJob,
  deps: RunnerDeps,
  log: JobLog,
  stop: Stopper,
  held: Held,
): JobContext {
  const byKey: Record<string, unknown> = {};
  const byId: Record<string, unknown> = {};
  for (const c of job.children) {
    byId[c.id] = c.result;
    if (c.key !== null) byKey[c.key] = c.result;
  }
  return {
    id: job.id,
    root: job.root,
    parent: job.parent,
    title: job.title,
    node: deps.node,
    params: job.params,
    tags: job.tags,
    context: job.context,
    results: { byKey, byId },
    get signal() {
      return stop.signal;
    },
    log: (line, source = 'job') => log.write(source, line),
    addChildren: (parentId, jobs) => deps.addChildren(parentId, jobs),
    serverUrl: deps.serverUrl,
    // made when a type asks for it: most jobs never call the API, and an HMAC a job adds up
    get jobToken() {
      return deps.jobToken(job);
    },
    ...(job.outcome ? { outcome: job.outcome } : {}),
    runProcess: async (kind, spec) => {
      await log.sync(); // the agent's lines first: the supervisor appends after them
      const supervised = deps.processes.launch(
        job,
        deps.token,
        kind,
        { ...spec, env: processEnv(job, deps, spec.env) },
        log.path,
      );
      held.supervised = supervised;
      held.kind = kind;
      return awaitSupervised({ supervised, kind }, stop, log);
    },
  };
}

/**
 * Runs a claimed job, or follows a job re-attached after a restart
 * (`resumed` names its supervisor), to its end and reports it; a job let go of by a
 * detaching shutdown is not reported (the next agent does it).
 */
async function execute(job: ClaimedJob, deps: RunnerDeps, stop: Stopper, resumed?: Required<Held>) {
  const log = deps.logs.open(job.root, job.id);
  const held: Held = { ...resumed }; // the supervised process, resumed or launched below
  const entry = resumed ? undefined : deps.types.get(job.type);
  if (job.attempt > 1 && !resumed)
    log.write('agent', `--- attempt ${job.attempt} of ${job.tries} ---`);
  log.write(
    'agent',
    resumed
      ? `re-attached by ${deps.node} (run ${deps.token}) to its supervisor, pid ${resumed.supervised.pid}`
      : `claimed by ${deps.node} after ${job.startedAt - job.queuedAt} ms queued`,
  );
  const timer =
    job.timeoutMs === null
      ? undefined
      : setTimeout(() => stop.stop('timeout'), job.startedAt + job.timeoutMs - Date.now());
  let outcome: JobOutcome = {};
  let error: JobError | undefined;
  try {
    if (resumed) {
      outcome = checkOutcome(await awaitSupervised(resumed, stop, log));
    } else {
      if (!entry)
        throw new JobFailure('UNKNOWN_TYPE', `node ${deps.node} has no job type "${job.type}"`);
      log.write('agent', startLine(job, entry));
      outcome = checkOutcome(await entry.type.run(contextFor(job, deps, log, stop, held)));
    }
  } catch (err) {
    if (err instanceof DetachedError) {
      log.write(
        'agent',
        `detached at agent stop: the job runs on under its supervisor, pid ${held.supervised?.pid}`,
      );
      deps.logs.release(log, false); // the job goes on: its log is archived when it ends
      return null;
    }
    error = errorOf(err);
    if (!stop.reason) log.write('agent', coerceError(err).stack ?? error.message);
  } finally {
    clearTimeout(timer);
  }
  let state: FinishReport['outcome'] = error ? 'FAILED' : 'SUCCESS';
  if (stop.reason === 'timeout') {
    state = 'FAILED';
    error = { code: 'TIMEOUT', message: `ran longer than ${job.timeoutMs} ms` };
  } else if (stop.reason) {
    state = 'ABORTED';
    error =
      stop.reason === 'shutdown'
        ? { code: 'AGENT_SHUTDOWN', message: `agent ${deps.node} stopped` }
        : error;
  }
  const at = Date.now();
  const delivery = await deps.reporter.report({
    root: job.root,
    id: job.id,
    token: deps.token,
    outcome: state,
    at,
    ...(outcome.result !== undefined ? { result: outcome.result } : {}),
    ...(outcome.summary !== undefined ? { summary: String(outcome.summary).slice(0, 1000) } : {}),
    ...(outcome.context !== undefined ? { context: outcome.context } : {}),
    ...(error ? { error } : {}),
    ...(deps.takesWork() ? { claimFor: deps.node } : {}),
    ...(entry?.version !== undefined ? { typeVersion: entry.version } : {}),
  });
  log.write('agent', finishLine(delivery, state, error ?? null, at - job.startedAt));
  deps.logs.release(log, true);
  if (held.supervised) deps.processes.remove(held.supervised.dir); // its end is Redis's or the journal's now
  const stored = delivery.kind === 'stored' ? delivery.answer : null;
  deps.onFinished?.(job, stored?.state ?? state, stored?.retry?.runAt);
  return stored?.next ?? null;
}

/** The agent's `started` line; a plugin job's names the version it runs (SPEC §11). */
function startLine(job: ClaimedJob, entry: TypeEntry): string {
  const version =
    entry.version === undefined
      ? ''
      : ` (${entry.source} version ${entry.version}${entry.kind === 'module' ? ', in a worker process' : ''})`;
  return `started ${job.type} "${job.title}"${version}`;
}

/** The agent's last line in a job's log: how it ended and what became of the report. */
function finishLine(d: Delivery, state: string, error: JobError | null, ms: number): string {
  const describe = (s: string, e: JobError | null): string =>
    `finished ${s} after ${ms} ms${e ? `: ${e.code} ${e.message}` : ''}`;
  switch (d.kind) {
    case 'stored': {
      const retry = d.answer.retry;
      if (retry)
        return `${describe(state, error)}; attempt ${retry.attempt} of ${retry.tries} from ${new Date(retry.runAt).toISOString()}`;
      return describe(d.answer.state, d.answer.error);
    }
    case 'journalled':
      return `${describe(state, error)} (journalled: Redis unavailable)`;
    case 'refused':
      return `${describe(state, error)} (report refused: ${d.error.message})`;
  }
}

/**
 * A job's stop switch. Its AbortSignal is made only when the job type asks
 * for it: most jobs never look, and an AbortController per job was a
 * measurable share of a short job's cost.
 */
class Stopper {
  reason: StopReason | undefined;
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.error());
    }
    return this.controller.signal;
  }

  /** The first reason wins; later ones change nothing. */
  stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(this.error());
  }

  private error(): Error {
    return new Error(`stopped: ${this.reason}`);
  }
}

/**
 * Starts running `job`, or following it when `resumed` names the
 * supervisor a previous run left it under; the handle stops it or awaits it.
 */
export function startJob(
  job: ClaimedJob,
  deps: RunnerDeps,
  resumed?: { supervised: Supervised; kind: ProcessKind },
): RunningJob {
  const stop = new Stopper();
  return {
    job,
    stop: (reason) => stop.stop(reason),
    done: execute(job, deps, stop, resumed),
  };
}
