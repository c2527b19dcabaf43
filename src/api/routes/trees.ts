/**
 * Tree routes (SPEC §7): submit (sync or async), list by tags, read,
 * abort, pause and resume (SPEC §2). Talks to the Store only.
 */
import type Router from '@koa/router';
import { isTreeState } from '../../jobtree/states.js';
import { LIMITS } from '../../jobtree/limits.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { isJobId } from '../../shared/ids.js';
import type { AppDeps } from '../app-deps.js';
import { parseBoundedInt, parseTags, queryBool, querySingle, waitQuery } from '../query.js';

export function treeRoutes(router: Router, deps: AppDeps): void {
  router.post('/api/v1/trees', async (ctx) => {
    const { wait, timeoutS } = waitQuery(ctx);
    const admission = querySingle(ctx, 'admission');
    if (admission !== undefined && admission !== 'reject' && admission !== 'wait') {
      throw new ValidationError('admission: want reject or wait', 'admission');
    }
    const planned = await deps.admission.submit(
      ctx.request.body,
      admission === 'reject' ? { admission } : {},
    );
    if (!wait) {
      ctx.status = 201;
      ctx.body = {
        root: planned.root,
        jobs: planned.jobs.map((j) => ({
          id: j.id,
          title: j.title,
          node: j.node,
          parent: j.parent,
        })),
        ...(planned.handlers ? { handlers: { root: planned.handlers.root } } : {}),
      };
      return;
    }
    const finished = await deps.waiter.wait(planned.root, timeoutS * 1000);
    ctx.status = finished ? 200 : 202;
    ctx.body = await deps.store.getTree(planned.root);
  });

  router.get('/api/v1/trees', async (ctx) => {
    const state = querySingle(ctx, 'state');
    if (state !== undefined && !isTreeState(state)) {
      throw new ValidationError('state: want RUNNING, SUCCESS, FAILED or ABORTED', 'state');
    }
    const cursor = querySingle(ctx, 'cursor');
    ctx.body = await deps.store.listTrees({
      tags: parseTags(ctx),
      limit: parseBoundedInt(querySingle(ctx, 'limit'), 'limit', 1, 1000, 50),
      ...(state !== undefined ? { state } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
  });

  // SPEC §17: ?depth=N&limit=L pages a tree; ?children=JOB&cursor=C&limit=L pages a job's
  // children; ?search=TEXT&limit=L finds jobs by title (at most 1,000 answers, 100 unless asked)
  router.get('/api/v1/trees/:root', async (ctx) => {
    const root = ctx.params.root as string;
    const limitText = querySingle(ctx, 'limit');
    const limit =
      limitText === undefined
        ? undefined
        : parseBoundedInt(limitText, 'limit', 1, LIMITS.maxJobs, 0);
    const search = querySingle(ctx, 'search');
    if (search !== undefined) {
      if (search.trim() === '' || search.length > LIMITS.maxTitle)
        throw new ValidationError(`search: 1 to ${LIMITS.maxTitle} characters`, 'search');
      ctx.body = await deps.bigReads.run(root, () =>
        deps.store.searchTree(root, search.trim(), Math.min(limit ?? 100, 1000)),
      );
      return;
    }
    const children = querySingle(ctx, 'children');
    if (children !== undefined) {
      if (!isJobId(children)) throw new ValidationError('children: not a job id', 'children');
      const cursor = querySingle(ctx, 'cursor');
      ctx.body = await deps.bigReads.run(root, () =>
        deps.store.getChildren(root, children, cursor, limit),
      );
      return;
    }
    const depthText = querySingle(ctx, 'depth');
    const depth =
      depthText === undefined
        ? undefined
        : parseBoundedInt(depthText, 'depth', 0, LIMITS.maxDepth, 0);
    ctx.body = await deps.bigReads.run(root, () =>
      deps.store.getTree(root, {
        ...(depth !== undefined ? { depth } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    );
  });

  router.post('/api/v1/trees/:root/abort', async (ctx) => {
    const root = ctx.params.root as string;
    const handlers = queryBool(ctx, 'handlers', true);
    if (!isJobId(root) || (await deps.store.treeState(root)) === null)
      throw new NotFoundError(`no tree ${root}`);
    await deps.store.abortJob(root, 'user', Date.now(), { handlers });
    ctx.status = 202;
    ctx.body = { root, aborting: true };
  });

  // Pausing takes effect at once (no job of the tree starts from now on), so 200, not 202.
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    router.post(`/api/v1/trees/:root/${verb}`, async (ctx) => {
      const root = ctx.params.root as string;
      const changed = await deps.store.setPaused(root, paused, Date.now());
      ctx.body = { root, paused, changed };
    });
  }
}
