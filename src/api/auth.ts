/**
 * The cluster token check (SPEC §10): `Authorization: Bearer <token>`,
 * compared in constant time. Never logs the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { UnauthorizedError } from '../shared/errors.js';

/** True when `given` equals `token`, in time independent of where they differ. */
export function tokenMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(token).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** Guards every route but the open ones (health) when a token is set. */
export function authMiddleware(token: string | null, open: ReadonlySet<string>) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (token !== null && !open.has(ctx.path)) {
      const m = /^Bearer (.+)$/.exec(ctx.get('authorization'));
      if (!tokenMatches(token, m?.[1])) throw new UnauthorizedError();
    }
    await next();
  };
}
