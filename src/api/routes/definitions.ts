/**
 * Definition routes (SPEC §13): store versions, read them, run one by name
 * (sync or async, idempotent), list its runs through the tag index, and
 * its inbox of messages. The rules live in admission/definitions.ts; this
 * file turns HTTP into calls and answers.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { isTreeState } from '../../jobtree/states.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { isJobId } from '../../shared/ids.js';
import type { RunRequest } from '../../admission/definitions.js';
import type { AppDeps } from '../app-deps.js';
import { parseBoundedInt, querySingle, waitQuery } from '../query.js';

const RUN_FIELDS = new Set(['params', 'tags', 'version', 'idempotencyKey', 'queue']);

/** `{params, tags?, version?, idempotencyKey?, queue?}`, nothing else. */
function runRequest(body: unknown): RunRequest {
  if (body === undefined) return {};
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('body: want {"params": {...}}');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).find((k) => !RUN_FIELDS.has(k));
  if (unknown) throw new ValidationError(`${unknown}: unknown field`, unknown);
  if (b.version !== undefined && !(Number.isInteger(b.version) && (b.version as number) >= 1))
    throw new ValidationError('version: want a version number', 'version');
  if (b.queue !== undefined && typeof b.queue !== 'boolean')
    throw new ValidationError('queue: want true or false', 'queue');
  if (b.idempotencyKey !== undefined && typeof b.idempotencyKey !== 'string')
    throw new ValidationError('idempotencyKey: want a string', 'idempotencyKey');
  const tags = b.tags;
  if (
    tags !== undefined &&
    (!tags || typeof tags !== 'object' || Object.values(tags).some((v) => typeof v !== 'string'))
  )
    throw new ValidationError('tags: want an object of strings', 'tags');
  return b as RunRequest;
}

function versionQuery(ctx: Context): number | undefined {
  const v = querySingle(ctx, 'version');
  return v === undefined ? undefined : parseBoundedInt(v, 'version', 1, Number.MAX_SAFE_INTEGER, 1);
}

export function definitionRoutes(router: Router, deps: AppDeps): void {
  const defs = deps.definitions;

  router.put('/api/v1/definitions/:name', async (ctx) => {
    const { name, version, created } = await defs.put(ctx.params.name, ctx.request.body);
    ctx.status = created ? 201 : 200;
    ctx.body = { name, version };
  });

  router.get('/api/v1/definitions', async (ctx) => {
    const all = await deps.store.definitions.list();
    const lastRuns = await Promise.all(
      all.map((d) => deps.store.listTrees({ tags: [['definition', d.name]], limit: 1 })),
    );
    ctx.body = {
      definitions: all.map((d, i) => {
        const last = lastRuns[i]?.trees[0];
        return {
          name: d.name,
          description: d.description ?? '',
          version: d.version,
          ...(last
            ? { lastRun: { root: last.root, state: last.state, createdAt: last.createdAt } }
            : {}),
        };
      }),
    };
  });

  router.get('/api/v1/definitions/:name', async (ctx) => {
    const d = await defs.get(ctx.params.name, versionQuery(ctx));
    ctx.body = {
      name: d.name,
      version: d.version,
      description: d.description ?? '',
      params: d.params ?? { type: 'object', properties: {} },
      tags: d.tags ?? {},
      maxConcurrentRuns: d.maxConcurrentRuns ?? null,
      tree: d.tree,
      createdAt: d.createdAt,
    };
  });

  router.get('/api/v1/definitions/:name/versions', async (ctx) => {
    const d = await defs.get(ctx.params.name);
    const versions = await deps.store.definitions.versions(d.name);
    ctx.body = {
      name: d.name,
      versions: versions.map((v) => ({
        version: v.version,
        sha256: v.sha256,
        createdAt: v.createdAt,
        description: v.description ?? '',
      })),
    };
  });

  router.delete('/api/v1/definitions/:name', async (ctx) => {
    const d = await defs.get(ctx.params.name);
    await deps.store.definitions.remove(d.name);
    ctx.body = { name: d.name, deleted: true };
  });

  router.post('/api/v1/definitions/:name/runs', async (ctx) => {
    const { wait, timeoutS } = waitQuery(ctx);
    const answer = await defs.run(ctx.params.name, runRequest(ctx.request.body));
    if (answer.kind === 'queued') {
      ctx.status = 202;
      ctx.body = { id: answer.id, position: answer.position, queued: true };
      return;
    }
    const head = { root: answer.root, definition: ctx.params.name, version: answer.version };
    if (!wait) {
      ctx.status = answer.created ? 201 : 200;
      ctx.body = answer.created ? head : { ...head, repeated: true };
      return;
    }
    const finished = await deps.waiter.wait(answer.root, timeoutS * 1000);
    ctx.status = finished ? 200 : 202;
    ctx.body = await deps.store.getTree(answer.root);
  });

  router.get('/api/v1/definitions/:name/runs', async (ctx) => {
    const d = await defs.get(ctx.params.name);
    const state = querySingle(ctx, 'state');
    if (state !== undefined && !isTreeState(state))
      throw new ValidationError('state: want RUNNING, SUCCESS, FAILED or ABORTED', 'state');
    const cursor = querySingle(ctx, 'cursor');
    const page = await deps.store.listTrees({
      tags: [['definition', d.name]],
      limit: parseBoundedInt(querySingle(ctx, 'limit'), 'limit', 1, 1000, 50),
      ...(state !== undefined ? { state } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    ctx.body = { runs: page.trees, next: page.next };
  });

  router.post('/api/v1/definitions/:name/messages', async (ctx) => {
    const { id, position } = await defs.post(ctx.params.name, ctx.request.body ?? {});
    ctx.status = 202;
    ctx.body = { id, position };
  });

  // SPEC §18: ?state=failed lists the messages whose run could not start, with why
  router.get('/api/v1/definitions/:name/messages', async (ctx) => {
    const d = await defs.get(ctx.params.name);
    const state = querySingle(ctx, 'state') ?? 'waiting';
    if (state !== 'waiting' && state !== 'failed')
      throw new ValidationError('state: want waiting or failed', 'state');
    ctx.body = {
      messages:
        state === 'failed'
          ? await deps.store.definitions.failed(d.name)
          : await deps.store.definitions.messages(d.name),
    };
  });

  router.delete('/api/v1/definitions/:name/messages/:id', async (ctx) => {
    const d = await defs.get(ctx.params.name);
    const id = ctx.params.id as string;
    if (!isJobId(id) || !(await deps.store.definitions.withdraw(d.name, id)))
      throw new NotFoundError(`no waiting message ${id} for ${d.name}`);
    ctx.body = { id, withdrawn: true };
  });
}
