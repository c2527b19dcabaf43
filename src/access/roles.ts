/**
 * The one table of who may use which door (SPEC §18): every HTTP route and
 * every socket.io event a client may send, with the least role it needs
 * and whether a job's own token may use it. docs/reference.md lists the
 * same table (test/access/reference-roles.test.ts compares them), and
 * test/api/roles.test.ts checks that it names exactly the routes the API
 * serves and that each answers each role as it says.
 */
import type { Principal } from './tokens.js';

/** read < run < admin: each role may do what the ones below it may. */
export type Role = 'read' | 'run' | 'admin';

const RANK: Readonly<Record<Role, number>> = { read: 1, run: 2, admin: 3 };

/**
 * What a door needs. `open`: no token at all (health). `job` names where
 * the door finds the tree a job token must own: `tree`, a root id (route
 * param `:root`, event field `root`); `job`, a job id (`:id`, `job`).
 */
export interface Access {
  role: Role | 'open';
  job?: 'tree' | 'job';
}

const read: Access = { role: 'read' };
const run: Access = { role: 'run' };
const admin: Access = { role: 'admin' };

/** `METHOD /path` as the router registers it (HEAD is served as GET) → what it needs. */
export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'GET /api/v1/health': { role: 'open' },
  'GET /metrics': read,
  // trees (SPEC §7, §2)
  'POST /api/v1/trees': admin,
  'GET /api/v1/trees': read,
  'GET /api/v1/trees/:root': { role: 'read', job: 'tree' },
  'POST /api/v1/trees/:root/abort': run,
  'POST /api/v1/trees/:root/pause': run,
  'POST /api/v1/trees/:root/resume': run,
  // jobs and their logs; a graft is a submission of arbitrary jobs: admin, or a job into its own tree
  'GET /api/v1/jobs/:id': { role: 'read', job: 'job' },
  'POST /api/v1/jobs/:id/abort': run,
  'POST /api/v1/jobs/:id/children': { role: 'admin', job: 'job' },
  'GET /api/v1/jobs/:id/log': { role: 'read', job: 'job' },
  'GET /api/v1/logs/search': read,
  // the cluster (SPEC §16)
  'GET /api/v1/nodes': read,
  'POST /api/v1/nodes/:node/drain': admin,
  'POST /api/v1/nodes/:node/undrain': admin,
  // registered code runs on every accepting node (SPEC §11, §18)
  'GET /api/v1/job-types': read,
  'PUT /api/v1/job-types/:name': admin,
  'DELETE /api/v1/job-types/:name': admin,
  'GET /api/v1/pools': read,
  'PUT /api/v1/pools/:name': admin,
  'DELETE /api/v1/pools/:name': admin,
  // definitions (SPEC §13): what they run is the admin's to say, running them is run's
  'GET /api/v1/definitions': read,
  'PUT /api/v1/definitions/:name': admin,
  'GET /api/v1/definitions/:name': read,
  'DELETE /api/v1/definitions/:name': admin,
  'GET /api/v1/definitions/:name/versions': read,
  'POST /api/v1/definitions/:name/runs': run,
  'GET /api/v1/definitions/:name/runs': read,
  'POST /api/v1/definitions/:name/messages': run,
  'GET /api/v1/definitions/:name/messages': read,
  'DELETE /api/v1/definitions/:name/messages/:id': run,
};

/** The socket.io events a client may send → what each needs. Every other event is refused. */
export const EVENT_ACCESS: Readonly<Record<string, Access>> = {
  'log:subscribe': { role: 'read', job: 'job' },
  'log:unsubscribe': { role: 'read', job: 'job' },
  'status:subscribe': { role: 'read', job: 'tree' },
  'status:unsubscribe': { role: 'read', job: 'tree' },
  // SPEC §19: a merged tail; a job's token tails its own tree only (server.ts)
  'logs:subscribe': { role: 'read', job: 'tree' },
  'logs:unsubscribe': { role: 'read', job: 'tree' },
};

/** The entry of a route; undefined for a route the table does not know (refused). */
export function routeAccess(method: string, path: string): Access | undefined {
  return ROUTE_ACCESS[`${method === 'HEAD' ? 'GET' : method} ${path}`];
}

/**
 * Whether `who` may use a door that needs `access`, as far as roles say:
 * a job token passes only doors with a `job` scope, whose tree the door
 * must still compare with the token's (ownsTree).
 */
export function roleAllows(who: Principal, access: Access): boolean {
  if (access.role === 'open') return true;
  if (who.kind === 'job') return access.job !== undefined;
  return RANK[who.role] >= RANK[access.role];
}

/**
 * Whether `who` may reach a resource of tree `root` (null: none found): a
 * role reaches every tree, a job's token its own only (SPEC §18).
 */
export function ownsTree(who: Principal, root: string | null): boolean {
  if (who.kind !== 'job') return true;
  return root !== null && root.toLowerCase() === who.root.toLowerCase();
}

/** The role a door needs, for a refusal's message. */
export function describeAccess(access: Access): string {
  return access.role === 'open' ? 'no token' : `the ${access.role} role`;
}
