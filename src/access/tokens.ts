/**
 * The tokens an agent accepts and who presents them (SPEC §10, §18): the
 * admin token, the run token, the read token, and the short-lived token of
 * a job this agent runs. Tokens are compared in constant time and never
 * logged. Shared by the HTTP API, the socket.io handshake and the relays.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './roles.js';

/** True when `given` equals `token`, in time independent of where they differ. */
export function tokenMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(token).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** The tokens of the cluster; read anew on each request, so a reload can change them. */
export interface Tokens {
  /** admin: everything. null: no token is needed at all (the loopback default). */
  token: string | null;
  /** run: reads, runs and messages of definitions, abort, pause and resume of trees. */
  runToken: string | null;
  /** read: listing, showing, following, logs, the UI. */
  readToken: string | null;
}

/** A job's own identity (JOBTREE_JOB_TOKEN): its tree, while it runs. */
export interface JobIdentity {
  root: string;
  job: string;
}

/** Who makes a request: a holder of a role, or a running job of this agent. */
export type Principal = { kind: 'role'; role: Role } | ({ kind: 'job' } & JobIdentity);

/** Tells a job token of this agent from anything else; null when it is none or has expired. */
export interface JobTokenCheck {
  verify(given: string): JobIdentity | null;
}

/**
 * Who presents `given` (a bearer token, or undefined for none); null when
 * it is no valid token. A job token is a job's wherever it is shown, even
 * on an agent that needs no token: what a job may do does not widen.
 */
export function principalOf(
  tokens: Tokens,
  jobs: JobTokenCheck | undefined,
  given: string | undefined,
): Principal | null {
  const job = given === undefined ? null : (jobs?.verify(given) ?? null);
  if (job) return { kind: 'job', ...job };
  if (tokens.token === null) return { kind: 'role', role: 'admin' };
  if (tokenMatches(tokens.token, given)) return { kind: 'role', role: 'admin' };
  if (tokens.runToken !== null && tokenMatches(tokens.runToken, given))
    return { kind: 'role', role: 'run' };
  if (tokens.readToken !== null && tokenMatches(tokens.readToken, given))
    return { kind: 'role', role: 'read' };
  return null;
}

/** The bearer token of an `Authorization` header, if it carries one. */
export function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer (\S{1,4096})$/.exec(header ?? '');
  return m?.[1];
}
