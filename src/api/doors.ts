/**
 * The API's doors (SPEC §18), in the order a request meets them: the Host
 * and Origin it came with; then, once the router knows the route, who
 * presents which token and whether the route's entry in the access table
 * (access/roles.ts) lets them in; then the type of its body. All before a
 * byte of the body is parsed, so a refused request costs no more than its
 * headers. Never logs a token.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { HostPolicy } from '../access/host-policy.js';
import { describeAccess, ownsTree, roleAllows, routeAccess, type Access } from '../access/roles.js';
import {
  bearerOf,
  principalOf,
  type JobTokenCheck,
  type Principal,
  type Tokens,
} from '../access/tokens.js';
import { ForbiddenError, UnauthorizedError, UnsupportedMediaTypeError } from '../shared/errors.js';
import { isJobId } from '../shared/ids.js';

/** Refuses a foreign Host (DNS rebinding) or Origin (a cross-site request) before anything else. */
export function hostGuard(hosts: HostPolicy) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    const refusal = hosts.refusal({
      method: ctx.method,
      host: ctx.get('host') || undefined,
      origin: ctx.get('origin') || undefined,
    });
    if (refusal === 'BAD_HOST')
      throw new ForbiddenError('Host: not a name this agent answers to', 'BAD_HOST');
    if (refusal === 'BAD_ORIGIN')
      throw new ForbiddenError('Origin: not this agent’s own origin', 'BAD_ORIGIN');
    await next();
  };
}

export interface AuthorizeDeps {
  tokens: Tokens;
  jobTokens: JobTokenCheck | undefined;
  /** The tree a job belongs to, or null: where a job token's reach ends. */
  findRoot(id: string): Promise<string | null>;
}

/** A route as the router would match it: its pattern (as the access table names it) and params. */
interface Matched {
  pattern: string;
  params: Record<string, string>;
}

/**
 * The route `router` will serve the request with, found before it runs
 * (the router's own `_matchedRoute` is set only inside its chain, after
 * the body is parsed); null when none matches (a 404 later).
 */
function matchRoute(router: Router, ctx: Context): Matched | null {
  const layer = router
    .match(ctx.path, ctx.method)
    .pathAndMethod.findLast((l) => l.methods.length > 0);
  if (!layer) return null;
  const params = layer.params(ctx.path, layer.captures(ctx.path) ?? [], {});
  return { pattern: String(layer.path), params: params as Record<string, string> };
}

/** The tree a route's resource belongs to, for a job token's check. */
async function resourceTree(route: Matched, access: Access, deps: AuthorizeDeps) {
  const { root, id } = route.params;
  if (access.job === 'tree') return isJobId(root) ? root.toLowerCase() : null;
  return isJobId(id) ? deps.findRoot(id) : null;
}

/**
 * Whether a principal may use a door: its role, and for a job token, the
 * door's resource in its own tree (SPEC §18), looked up only for one.
 */
async function admits(
  who: Principal,
  access: Access,
  treeOfResource: () => Promise<string | null>,
): Promise<boolean> {
  if (!roleAllows(who, access)) return false;
  return who.kind !== 'job' || ownsTree(who, await treeOfResource());
}

/**
 * Authenticates the request and applies its route's entry of the access
 * table, then checks its body's type: the API's doors, before its body
 * parser. A request no route matches passes on to the router's 404.
 */
export function doors(router: Router, deps: AuthorizeDeps) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const route = matchRoute(router, ctx);
    if (route === null) return next();
    const name = `${ctx.method} ${route.pattern}`;
    const access = routeAccess(ctx.method, route.pattern);
    if (!access) throw new ForbiddenError(`${name} is in no role`);
    if (access.role !== 'open') {
      const who = principalOf(deps.tokens, deps.jobTokens, bearerOf(ctx.get('authorization')));
      if (who === null) throw new UnauthorizedError();
      if (!(await admits(who, access, () => resourceTree(route, access, deps)))) {
        const whom = who.kind === 'job' ? 'a job token outside its tree' : `the ${who.role} role`;
        throw new ForbiddenError(`${name} needs ${describeAccess(access)}, not ${whom}`);
      }
      ctx.state.principal = who;
    }
    requireBodyType(ctx, route.pattern);
    await next();
  };
}

/** Media types a route's body may have; JSON unless named here. */
const BODY_TYPES: Readonly<Record<string, readonly string[]>> = {
  'PUT /api/v1/job-types/:name': ['application/javascript', 'text/javascript'],
};

/**
 * A request that carries a body must say it is JSON (or the route's own
 * type): a cross-site form can send only `text/plain`,
 * `multipart/form-data` or `application/x-www-form-urlencoded`.
 */
function requireBodyType(ctx: Context, pattern: string): void {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  if (!hasBody) return;
  const types = BODY_TYPES[`${ctx.method} ${pattern}`] ?? ['application/json'];
  if (ctx.is(...types) === false)
    throw new UnsupportedMediaTypeError(
      `content-type: want ${types.join(' or ')}, got ${ctx.get('content-type') || 'none'}`,
    );
}
