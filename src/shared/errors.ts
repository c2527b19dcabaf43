/**
 * The error classes that cross module borders. Owns the mapping from a
 * failure to an HTTP status; must never import project code (STYLE: shared/).
 */

/** The codes of each error class: what a caller may branch on. */
export type ValidationCode =
  | 'VALIDATION'
  | 'UNKNOWN_TYPE'
  | 'UNKNOWN_POOL'
  | 'BAD_MODULE'
  /** SPEC §18: expanding a definition would pass the tree limit. */
  | 'TOO_LARGE';
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
  | 'TREE_STORING'
  /** SPEC §18: too many big tree reads at once on this agent. */
  | 'BUSY';
/** SPEC §18: a request the agent will not take from this caller. */
export type ForbiddenCode = 'FORBIDDEN' | 'BAD_HOST' | 'BAD_ORIGIN' | 'REGISTRATION_DISABLED';

export type ErrorCode =
  | ValidationCode
  | ConflictCode
  | UnavailableCode
  | 'NOT_FOUND'
  | 'FENCED'
  | ForbiddenCode
  | 'UNAUTHORIZED'
  | 'UNSUPPORTED_MEDIA_TYPE'
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

/**
 * A request this agent will not take from its caller: a role that does not
 * allow it (the read token writing), a foreign Host or Origin, a
 * registration on a node that runs no registered code (SPEC §18).
 */
export class ForbiddenError extends JobtreeError {
  declare readonly code: ForbiddenCode;
  constructor(message: string, code: ForbiddenCode = 'FORBIDDEN') {
    super(code, message, 403);
  }
}

/** A body of a type the route does not take (SPEC §18: JSON only, so no form can reach it). */
export class UnsupportedMediaTypeError extends JobtreeError {
  constructor(message: string) {
    super('UNSUPPORTED_MEDIA_TYPE', message, 415);
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
