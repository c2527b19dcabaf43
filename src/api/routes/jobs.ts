/**
 * Job routes (SPEC §7): read one job, abort it (and its tree), graft
 * children under it. Talks to the Store and the admission room only.
 */
import type Router from '@koa/router';
import type { AppDeps } from '../app-deps.js';
import { queryBool } from '../query.js';

export function jobRoutes(router: Router, deps: AppDeps): void {
  router.get('/api/v1/jobs/:id', async (ctx) => {
    ctx.body = await deps.store.getJob(ctx.params.id as string);
  });

  router.post('/api/v1/jobs/:id/abort', async (ctx) => {
    const handlers = queryBool(ctx, 'handlers', true);
    const job = await deps.store.getJob(ctx.params.id as string);
    await deps.store.abortJob(job.id, 'user', Date.now(), { handlers });
    ctx.status = 202;
    ctx.body = { job: job.id, root: job.root, aborting: true };
  });

  router.post('/api/v1/jobs/:id/children', async (ctx) => {
    const jobs = await deps.admission.graft(ctx.params.id as string, ctx.request.body);
    ctx.status = 201;
    ctx.body = {
      jobs: jobs.map((j) => ({ id: j.id, title: j.title, node: j.node, parent: j.parent })),
    };
  });
}
