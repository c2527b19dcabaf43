/**
 * The error classes that cross module borders. Owns the mapping from a
 * failure to an HTTP status; must never import project code (STYLE: shared/).
 */

/** The codes of each error class: what a caller may branch on. */
export type ValidationCode = 'VALIDATION' | 'UNKNOWN_TYPE' | 'UNKNOWN_POOL' | 'BAD_MODULE';
export type ConflictCode =
  | 'CONFLICT'
  | 'TREE_FINISHED'
  | 'NOT_RUNNING'
  | 'JOB_STARTED'
  | 'BUSY'
  | 'MESSAGE_TAKEN'
  | 'POOL_IN_USE'
  | 'BUILTIN_TYPE'
  | 'NODE_TAKEN'
  | 'HANDLER_TREE';
export type UnavailableCode =
  | 'UNAVAILABLE'
  | 'REDIS_UNAVAILABLE'
  | 'NODE_UNAVAILABLE'
  | 'BACKLOG_FULL'
  | 'NO_SLOTS'
  | 'TREE_STORING';

export type ErrorCode =
  | ValidationCode
  | ConflictCode
  | UnavailableCode
  | 'NOT_FOUND'
  | 'FENCED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TOO_LARGE'
  | 'CONFIG'
  | 'STORE_REJECTED'
  | 'INTERNAL';

/** Base of every error jobtree raises on purpose. */
export class JobtreeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, status = 500, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** Bad input; `path` names the first bad field (`job.children[0].params`). */
export class ValidationError extends JobtreeError {
  readonly path: string | undefined;
  constructor(message: string, path?: string, code: ValidationCode = 'VALIDATION') {
    super(code, message, 400);
    this.path = path;
  }
}

export class NotFoundError extends JobtreeError {
  constructor(message: string) {
    super('NOT_FOUND', message, 404);
  }
}

export class ConflictError extends JobtreeError {
  constructor(message: string, code: ConflictCode = 'CONFLICT') {
    super(code, message, 409);
  }
}

/** Redis (or a node's backlog) cannot take the request now; the API adds Retry-After. */
export class UnavailableError extends JobtreeError {
  readonly retryAfterS: number;
  constructor(
    message: string,
    code: UnavailableCode = 'UNAVAILABLE',
    retryAfterS = 1,
    options?: ErrorOptions,
  ) {
    super(code, message, 503, options);
    this.retryAfterS = retryAfterS;
  }
}

/**
 * True when Redis cannot be reached or cannot take writes for a while (a
 * lost connection, LOADING, BUSY, a failover's READONLY): what waits and
 * retries, and what a job's end is journalled for (SPEC §9). The store
 * raises it (store/redis-errors.ts decides); everything else asks here.
 */
export function isRedisUnavailable(err: unknown): err is UnavailableError {
  return err instanceof UnavailableError && err.code === 'REDIS_UNAVAILABLE';
}

/**
 * Redis answered, and refused: a script error, a key of the wrong type,
 * an out-of-memory refusal. It will not pass by itself, so nothing retries
 * it; a job's end refused so is failed with this code (issue 15).
 */
export class StoreRejectedError extends JobtreeError {
  constructor(message: string, options?: ErrorOptions) {
    super('STORE_REJECTED', message, 500, options);
  }
}

/** A report from a claim that is no longer the owner of the job (SPEC §9 fencing). */
export class FencedError extends JobtreeError {
  constructor(message: string) {
    super('FENCED', message, 409);
  }
}

export class UnauthorizedError extends JobtreeError {
  constructor(message = 'missing or bad token') {
    super('UNAUTHORIZED', message, 401);
  }
}

/** A valid token whose role does not allow the request (the read-only token writing). */
export class ForbiddenError extends JobtreeError {
  constructor(message: string) {
    super('FORBIDDEN', message, 403);
  }
}

export class ConfigError extends JobtreeError {
  readonly key: string;
  constructor(key: string, message: string) {
    super('CONFIG', `config ${key}: ${message}`, 1);
    this.key = key;
  }
}

/** Turns whatever user code threw into an Error with a message (graphile `coerceError`). */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(thrown)}`);
  } catch {
    return new Error(`non-error thrown: ${String(thrown)}`);
  }
}
