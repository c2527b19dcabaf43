/**
 * The cluster token check (SPEC §10): `Authorization: Bearer <token>`,
 * compared in constant time. Never logs the token.
 */
import type { Context, Next } from 'koa';
import { tokenMatches } from '../logstream/token.js';
import { UnauthorizedError } from '../shared/errors.js';

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
