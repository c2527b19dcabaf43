/**
 * The token check (SPEC §10, §16 roles): `Authorization: Bearer <token>`,
 * compared in constant time. The cluster token may do everything; the
 * read-only token only what does not change state (GET and HEAD), and gets
 * 403 FORBIDDEN for the rest. Never logs a token.
 */
import type { Context, Next } from 'koa';
import { roleOf, type Tokens } from '../logstream/token.js';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.js';

const READ_METHODS = new Set(['GET', 'HEAD']);

/** Guards every route but the open ones (health) when a token is set. */
export function authMiddleware(tokens: Tokens, open: ReadonlySet<string>) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!open.has(ctx.path)) {
      const m = /^Bearer (.+)$/.exec(ctx.get('authorization'));
      const role = roleOf(tokens, m?.[1]);
      if (role === null) throw new UnauthorizedError();
      if (role === 'read' && !READ_METHODS.has(ctx.method))
        throw new ForbiddenError(`the read-only token cannot ${ctx.method} ${ctx.path}`);
    }
    await next();
  };
}
