/**
 * Job type routes (SPEC §11): register a module's source as a new version
 * (checked in a throwaway worker first, so a module that cannot load is
 * never stored), list every type with its versions and what each node has
 * loaded, deregister. Talks to the Store and the agent's module check only.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { BUILTIN_TYPES } from '../../jobtree/limits.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../shared/errors.js';
import { isResourceName, RESOURCE_NAME_PATTERN } from '../../shared/ids.js';
import type { LoadedTypeInfo, NodeView, TypeSource } from '../../shared/types.js';
import type { AppDeps } from '../app-deps.js';
import { sha256Of } from '../../shared/sha256.js';

interface TypeListing {
  name: string;
  source: TypeSource;
  versions: Array<{ version: string | number; sha256?: string; at?: number }>;
  nodes: Record<string, { version: string } | { error: string; version?: string }>;
}

function typeName(raw: unknown): string {
  if (!isResourceName(raw))
    throw new ValidationError(`name: want ${RESOURCE_NAME_PATTERN}`, 'name');
  return raw;
}

function moduleSource(ctx: Context): string {
  const type = ctx.request.type;
  if (type !== 'application/javascript' && type !== 'text/javascript') {
    ctx.throw(415, 'send the module as application/javascript');
  }
  const body = ctx.request.body as unknown;
  if (typeof body !== 'string' || body.trim() === '')
    throw new ValidationError('body: want the source of an ES module', 'body');
  return body;
}

/** What one node says of one type: its version, or the error of the version it refused. */
function nodeEntry(info: LoadedTypeInfo): TypeListing['nodes'][string] {
  if (info.error !== undefined)
    return { error: info.error, ...(info.version !== undefined ? { version: info.version } : {}) };
  return { version: info.version ?? 'builtin' };
}

async function listTypes(deps: AppDeps): Promise<TypeListing[]> {
  const [registered, nodes] = await Promise.all([
    deps.store.jobTypes.list(),
    deps.store.listNodes(Date.now()),
  ]);
  const byName = new Map<string, TypeListing>();
  const entry = (name: string, source: TypeSource): TypeListing => {
    let t = byName.get(name);
    if (!t) byName.set(name, (t = { name, source, versions: [], nodes: {} }));
    return t;
  };
  for (const name of BUILTIN_TYPES) entry(name, 'builtin').versions.push({ version: 'builtin' });
  for (const r of registered) {
    entry(r.name, 'registered').versions = r.versions.map((v) => ({
      version: v.version,
      sha256: v.sha256,
      at: v.at,
    }));
  }
  for (const node of nodes.filter((n: NodeView) => n.alive)) {
    for (const [name, info] of Object.entries(node.typeVersions)) {
      const t = entry(name, info.source);
      t.nodes[node.name] = nodeEntry(info);
      const v = info.version;
      if (info.source === 'dir' && v !== undefined && !t.versions.some((x) => x.version === v))
        t.versions.push({ version: v, ...(info.sha256 ? { sha256: info.sha256 } : {}) });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function jobTypeRoutes(router: Router, deps: AppDeps): void {
  router.get('/api/v1/job-types', async (ctx) => {
    ctx.body = { types: await listTypes(deps) };
  });

  router.put('/api/v1/job-types/:name', async (ctx) => {
    // SPEC §18: checking a module runs it; a node that runs no registered code loads none
    if (!deps.acceptsRegistered())
      throw new ForbiddenError(
        'this node runs no registered code (jobTypes.acceptRegistered: false); register through a node that does',
        'REGISTRATION_DISABLED',
      );
    const name = typeName(ctx.params.name);
    if (BUILTIN_TYPES.has(name))
      throw new ConflictError(`${name} is a built-in type`, 'BUILTIN_TYPE');
    const source = moduleSource(ctx);
    const sha256 = sha256Of(source);
    const { paramsSchema } = await deps.checkModule(source, name);
    const { version, created } = await deps.store.jobTypes.register(name, source, {
      sha256,
      at: Date.now(),
      paramsSchema,
    });
    ctx.status = created ? 201 : 200;
    ctx.body = { name, version, sha256 };
  });

  router.delete('/api/v1/job-types/:name', async (ctx) => {
    const name = typeName(ctx.params.name);
    if (BUILTIN_TYPES.has(name))
      throw new ConflictError(`${name} is a built-in type`, 'BUILTIN_TYPE');
    try {
      await deps.store.jobTypes.remove(name);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`no registered job type ${name}`);
      throw err;
    }
    ctx.body = { name, removed: true };
  });
}
