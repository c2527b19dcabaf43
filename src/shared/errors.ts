/**
 * The error classes that cross module borders. Owns the mapping from a
 * failure to an HTTP status; must never import project code (STYLE: shared/).
 */

export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAVAILABLE'
  | 'REDIS_UNAVAILABLE'
  | 'FENCED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TOO_LARGE'
  | 'CONFIG'
  | 'INTERNAL';

/** Base of every error jobtree raises on purpose. */
export class JobtreeError extends Error {
  readonly code: ErrorCode | string;
  readonly status: number;
  constructor(code: ErrorCode | string, message: string, status = 500, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** Bad input; `path` names the first bad field (`job.children[0].params`). */
export class ValidationError extends JobtreeError {
  readonly path: string | undefined;
  constructor(
    message: string,
    path?: string,
    code: 'VALIDATION' | 'UNKNOWN_TYPE' | 'UNKNOWN_POOL' | 'BAD_MODULE' = 'VALIDATION',
  ) {
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
  constructor(message: string, code = 'CONFLICT') {
    super(code, message, 409);
  }
}

/** Redis (or a node's backlog) cannot take the request now; the API adds Retry-After. */
export class UnavailableError extends JobtreeError {
  readonly retryAfterS: number;
  constructor(message: string, code = 'UNAVAILABLE', retryAfterS = 1, options?: ErrorOptions) {
    super(code, message, 503, options);
    this.retryAfterS = retryAfterS;
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
