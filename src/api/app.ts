/**
 * createApp(deps): the HTTP API as a Koa app that never listens (koa's
 * callback() apart from listen()), so tests need no port and the agent
 * shares one server with socket.io.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { LIMITS } from '../jobtree/limits.js';
import type { AppDeps } from './app-deps.js';
import { doors, hostGuard } from './doors.js';
import { errorMiddleware } from './errors.js';
import { staticUi } from './static-ui.js';
import { jobRoutes } from './routes/jobs.js';
import { logRoutes } from './routes/logs.js';
import { logSearchRoutes } from './routes/log-search.js';
import { definitionRoutes } from './routes/definitions.js';
import { jobTypeRoutes } from './routes/job-types.js';
import { nodeRoutes } from './routes/nodes.js';
import { poolRoutes } from './routes/pools.js';
import { treeRoutes } from './routes/trees.js';

/** Every route of the API (the tests walk it to check each write route's guard). */
export function apiRouter(deps: AppDeps): Router {
  const router = new Router();
  treeRoutes(router, deps);
  jobRoutes(router, deps);
  logRoutes(router, deps);
  logSearchRoutes(router, deps);
  nodeRoutes(router, deps);
  jobTypeRoutes(router, deps);
  poolRoutes(router, deps);
  definitionRoutes(router, deps);
  return router;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.silent = true; // errorMiddleware logs what matters
  const router = apiRouter(deps);
  app.use(errorMiddleware(deps.logger));
  // SPEC §18: Host and Origin first, for the UI too; then the route's role and body type
  app.use(hostGuard(deps.hosts));
  app.use(staticUi());
  app.use(
    doors(router, {
      tokens: deps.tokens,
      jobTokens: deps.jobTokens,
      findRoot: (id) => deps.store.findRoot(id),
    }),
  );
  app.use(
    bodyParser({
      // text: a module job type's source only (PUT /api/v1/job-types/:name, SPEC §11);
      // the doors let no other text through
      enableTypes: ['json', 'text'],
      extendTypes: { text: ['application/javascript', 'text/javascript'] },
      jsonLimit: LIMITS.maxBodyBytes,
      textLimit: LIMITS.maxTypeSourceBytes,
      encoding: 'utf-8',
      onError: (err) => {
        throw err;
      },
    }),
  );
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
