/**
 * The HTTP API as createApp(deps) builds it, with no agent and no port:
 * its requests are injected into the app's request listener in memory
 * (light-my-request). For route tests that need no job to run and no
 * socket; what an agent does around its API is tested with makeAgent.
 */
import { inject } from 'light-my-request';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Admission } from '../../src/admission/admission.js';
import { Definitions } from '../../src/admission/definitions.js';
import { createApp } from '../../src/api/app.js';
import { TreeWaiter } from '../../src/api/tree-waiter.js';
import { loadConfig } from '../../src/config/load.js';
import { AgentAccess } from '../../src/daemon/agent-access.js';
import { JobLogs } from '../../src/logstream/job-logs.js';
import { createRegistry } from '../../src/node-agent/job-types/builtins.js';
import { ValidationError } from '../../src/shared/errors.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from './agents.js';
import type { HttpAnswer } from './http.js';
import { track } from './track.js';

export interface InMemoryApi {
  node: string;
  /** One request, answered as http() answers (the body parsed when it is JSON). */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpAnswer>;
}

/** The API of a node `n1` on `store`, configured by `env` as an agent would be. */
export function makeApp(store: Store, env: Record<string, string> = {}): InMemoryApi {
  const config = loadConfig({
    env: { JOBTREE_NODE: 'n1', JOBTREE_PORT: '0', JOBTREE_DATA_DIR: tempDir(), ...env },
  });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const access = new AgentAccess(config, store, {});
  const admission = new Admission({
    store,
    node: config.node,
    types: createRegistry(config),
    maxQueued: config.backlog.maxQueued,
  });
  const waiter = track(new TreeWaiter(store), (w) => w.close());
  const app = createApp({
    store,
    node: config.node,
    admission,
    definitions: new Definitions(store, admission, logger),
    checkModule: () => Promise.reject(new ValidationError('no module checks here', 'source')),
    acceptsRegistered: () => config.jobTypes.acceptRegistered,
    tokens: access.tokens,
    hosts: access.hosts,
    bigReads: access.bigReads,
    ownTls: false,
    metrics: new Registry(),
    logger,
    version: 'test',
    logs: new JobLogs(config.dataDir),
    searchBudgetMs: config.logs.searchBudgetMs,
    archive: config.logs.archive,
    waiter,
  });
  const listener = app.callback();
  return {
    node: config.node,
    async request(method, path, body, headers = {}) {
      const res = await inject(listener, {
        method: method as 'GET',
        url: path,
        headers: {
          host: '127.0.0.1',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined
          ? { payload: typeof body === 'string' ? body : JSON.stringify(body) }
          : {}),
      });
      let parsed: unknown = res.body;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        // not JSON: the text as it is
      }
      const answered = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of [value ?? []].flat()) answered.append(name, String(v));
      }
      return { status: res.statusCode, headers: answered, body: parsed };
    },
  };
}
