/**
 * What the scripts answer, in one place (bullmq finished-errors.ts): the
 * codes of work done (SCRIPT_DONE, each script's own, read by name) and
 * the refusals, mapped to jobtree's error classes (scriptError). Nothing
 * else interprets a script's number.
 */
import {
  ConflictError,
  FencedError,
  JobtreeError,
  NotFoundError,
  StoreRejectedError,
  UnavailableError,
  ValidationError,
} from '../shared/errors.js';
import { ReplyError } from 'ioredis';

/**
 * The codes a script answers when it did its work (its header lists them
 * too); every other code is a refusal, read by scriptError.
 */
export const SCRIPT_DONE = {
  /** Every script: done as asked. */
  ok: 1,
  /** submitTree, commitTree: the idempotency key names a run started already (with its root). */
  existingRun: -6,
  /** finishJobs: the failed try goes again (state QUEUED), the retry as JSON (SPEC §14). */
  retried: 2,
  /** abortJob: the tree's abort goes on in chunks (SPEC §17). */
  abortInChunks: 2,
  /** pauseTree, resumeTree: the tree was in that state already. */
  unchanged: 0,
  /** deleteTree, abortMore: one more chunk of the tree is left. */
  moreLeft: 0,
} as const;

/** A refusal: the script wrote nothing (every precondition answers below zero). */
export function isRefusal(code: number): boolean {
  return code < 0;
}

/** Negative script answers, by script. */
export function scriptError(script: string, code: number, subject: string): JobtreeError {
  // a big tree's commit refuses for the same reasons as a whole submission (SPEC §17)
  const name = script === 'commitTree' && code !== -9 ? 'submitTree' : script;
  switch (`${name}:${code}`) {
    case 'abortJob:-1':
    case 'addChildren:-1':
      return new NotFoundError(`no job ${subject}`);
    case 'pauseTree:-1':
    case 'resumeTree:-1':
      return new NotFoundError(`no tree ${subject}`);
    case 'pauseTree:-2':
    case 'resumeTree:-2':
      return new ConflictError(`tree ${subject} has finished`, 'TREE_FINISHED');
    case 'submitTree:-1':
    case 'stageJobs:-1':
    case 'commitTree:-1':
      return new ConflictError(`tree ${subject} exists already`);
    case 'submitTree:-3':
    case 'addChildren:-4':
      return new ValidationError(`no pool "${subject}"`, undefined, 'UNKNOWN_POOL');
    case 'submitTree:-4':
      return new UnavailableError(`no room to start at once: ${subject}`, 'NO_SLOTS', 2);
    case 'deletePool:-1':
    case 'removeType:-1':
      return new NotFoundError(
        `no ${script === 'deletePool' ? 'pool' : 'registered job type'} ${subject}`,
      );
    case 'deletePool:-2':
      return new ConflictError(subject, 'POOL_IN_USE');
    case 'submitTree:-5':
      return new ConflictError(subject, 'BUSY');
    case 'submitTree:-7':
      return new ConflictError(`message ${subject} was started already`, 'MESSAGE_TAKEN');
    case 'submitTree:-8':
    case 'deleteDefinition:-1':
    case 'postMessage:-1':
      return new NotFoundError(`no definition ${subject}`);
    case 'submitTree:-2':
      return new UnavailableError(
        `the queue of node ${subject} is full; try again later`,
        'BACKLOG_FULL',
        5,
      );
    case 'finishJob:-1':
      return new ConflictError(`job ${subject} is not running`, 'NOT_RUNNING');
    case 'finishJob:-2':
      return new FencedError(`job ${subject} is claimed by another run (fenced)`);
    case 'abortJob:-3':
      return new UnavailableError(
        `the tree of job ${subject} is still being stored; try again in a moment`,
        'TREE_STORING',
        1,
      );
    case 'commitTree:-9':
      return new JobtreeError('INTERNAL', `the staged jobs of tree ${subject} expired`);
    case 'abortJob:-2':
      return new ConflictError(`the tree of job ${subject} has finished`, 'TREE_FINISHED');
    case 'addChildren:-2':
      return new ConflictError(`job ${subject} has started or finished`, 'JOB_STARTED');
    case 'addChildren:-5':
      return new ConflictError(
        `job ${subject} is in a handler tree, which takes no new jobs`,
        'HANDLER_TREE',
      );
    case 'addChildren:-3':
      return new ValidationError('the tree would exceed 100000 jobs', 'jobs');
    default:
      return new JobtreeError('INTERNAL', `${script} answered ${code} for ${subject}`);
  }
}

/**
 * Replies Redis gives while it cannot take a command for a while: a replica
 * loading its data, a script running too long, a failover's read-only
 * replica or lost master, a write no replica confirmed (confirm-writes.ts),
 * a Cluster slot moving. They clear by themselves.
 */
const PASSING = /^(LOADING|BUSY|READONLY|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * The one place that decides "Redis is unavailable" (SPEC §9): the errors
 * ioredis raises when it cannot reach Redis, and the passing refusals.
 */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    code === 'EPIPE' ||
    err.name === 'ClusterAllFailedError' ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|None of startup nodes is available|Failed to refresh slots cache|Too many Cluster redirections/.test(
      err.message,
    ) ||
    PASSING.test(err.message)
  );
}

/**
 * Runs a Redis call: an outage becomes a 503 REDIS_UNAVAILABLE (isUnavailable),
 * every other refusal Redis answers (a script error, WRONGTYPE, OOM) a
 * StoreRejectedError naming it; nothing is retried that will not pass.
 */
export async function guard<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (isUnavailable(err)) {
      throw new UnavailableError('Redis is unavailable', 'REDIS_UNAVAILABLE', 2, { cause: err });
    }
    // ioredis types ReplyError loosely: the instanceof does not narrow
    if (err instanceof ReplyError)
      throw new StoreRejectedError(`Redis refused: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}
