/**
 * Compares a given token with the cluster token and the read-only token in
 * constant time (SPEC §10, §16 roles). Shared by the HTTP API and the
 * socket.io handshake.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `given` equals `token`, in time independent of where they differ. */
export function tokenMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(token).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** The tokens an agent accepts; read anew on each request, so a reload can change them. */
export interface Tokens {
  /** The cluster token: everything. null: no token is needed at all. */
  token: string | null;
  /** Grants reading only: listing, showing, following, logs, the UI. */
  readToken: string | null;
}

/** What a request may do: all of it, read only, or nothing (a missing or bad token). */
export type Role = 'all' | 'read' | null;

export function roleOf(tokens: Tokens, given: string | undefined): Role {
  if (tokens.token === null) return 'all';
  if (tokenMatches(tokens.token, given)) return 'all';
  if (tokens.readToken !== null && tokenMatches(tokens.readToken, given)) return 'read';
  return null;
}
