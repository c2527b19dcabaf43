/**
 * Compares a given token with the cluster token in constant time (SPEC §10).
 * Shared by the HTTP API and the socket.io handshake.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `given` equals `token`, in time independent of where they differ. */
export function tokenMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(token).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
