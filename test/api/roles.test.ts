/**
 * The three roles of SPEC §18 (admin, run, read): the access table names
 * exactly the routes the API serves, and every route answers every role as
 * the table says (found by walking the API's router, so a new route is
 * covered the day it is added): 403 FORBIDDEN below its role, 401 without
 * a valid token, never a write by a refused request. The read token
 * follows logs over socket.io; a wrong one cannot connect.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ROUTE_ACCESS, type Role } from '../../src/access/roles.js';
import { apiRouter } from '../../src/api/app.js';
import type { AppDeps } from '../../src/api/app-deps.js';
import { makeAgent } from '../helpers/agents.js';
import { makeApp } from '../helpers/app.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';
import { dumpPrefix } from '../helpers/redis-dump.js';
import { makeStore } from '../helpers/store.js';

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** A request path for a route's pattern: ids where ids go, names elsewhere. */
function concrete(pattern: string): string {
  return pattern.replace(/:(\w+)/g, (_m, name: string) =>
    ['root', 'id'].includes(name) ? randomUUID() : 'some-name',
  );
}

/** Every route of the router, as the access table names them. */
function servedRoutes(): string[] {
  const router = apiRouter({} as AppDeps); // handlers are not called: only the routes are read
  return router.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${String(layer.path)}`),
  );
}

const RANK: Record<Role, number> = { read: 1, run: 2, admin: 3 };

describe('api: roles (§18)', () => {
  it('has one access entry for each route the API serves, and none for a route it does not', () => {
    expect(servedRoutes().sort()).to.deep.equal(Object.keys(ROUTE_ACCESS).sort());
  });

  it('answers every route for every role as the table says, and a refusal writes nothing', async function () {
    this.timeout(60000);
    const tokens = {
      admin: `admin-${randomUUID()}`,
      run: `run-${randomUUID()}`,
      read: `read-${randomUUID()}`,
    };
    const store = makeStore();
    // the API alone (createApp, no port): every request of the walk injected in memory
    const api = makeApp(store, {
      JOBTREE_TOKEN: tokens.admin,
      JOBTREE_RUN_TOKEN: tokens.run,
      JOBTREE_READ_TOKEN: tokens.read,
    });
    const made = await api.request(
      'POST',
      '/api/v1/trees',
      { job: { title: 'r', type: 'noop' } },
      bearer(tokens.admin),
    );
    expect(made.status).to.equal(201);
    const before = JSON.stringify(
      [...(await dumpPrefix(store.prefix))]
        .filter(([k]) => !/:(node|alive|lease|idle)/.test(k))
        .sort(),
    );

    let refused = 0;
    for (const route of servedRoutes()) {
      const [method = '', pattern = ''] = route.split(' ');
      const access = ROUTE_ACCESS[route]!;
      const path = concrete(pattern);
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      for (const role of ['read', 'run', 'admin'] as const) {
        const res = await api.request(method, path, body, bearer(tokens[role]));
        const allowed = access.role === 'open' || RANK[role] >= RANK[access.role];
        if (allowed) expect(res.status, `${route} as ${role}`).to.not.be.oneOf([401, 403]);
        else {
          refused += 1;
          expect(res.status, `${route} as ${role}`).to.equal(403);
          expect(res.body.error.code).to.equal('FORBIDDEN');
          expect(res.body.error.message).to.include(`the ${access.role} role`);
        }
      }
      for (const token of [undefined, 'not-a-token-of-this-cluster']) {
        const res = await api.request(method, path, body, token ? bearer(token) : {});
        expect(res.status, `${route} with ${token ?? 'no token'}`).to.equal(
          access.role === 'open' ? 200 : 401,
        );
      }
    }
    expect(refused).to.be.at.least(25); // the run token below admin, the read token below both
    // the refused requests wrote nothing (the allowed ones named things that do not exist)
    const after = JSON.stringify(
      [...(await dumpPrefix(store.prefix))]
        .filter(([k]) => !/:(node|alive|lease|idle)/.test(k))
        .sort(),
    );
    expect(after).to.equal(before);
  });

  it('lets the run token run definitions and abort trees, but not say what runs (§18)', async () => {
    const tokens = { admin: `admin-${randomUUID()}`, run: `run-${randomUUID()}` };
    const agent = await makeAgent(makeStore(), {
      env: { JOBTREE_TOKEN: tokens.admin, JOBTREE_RUN_TOKEN: tokens.run },
    });
    const def = { tree: { job: { title: 'wait', type: 'sleep', params: { ms: 60000 } } } };
    expect(
      (await http(agent.url, 'PUT', '/api/v1/definitions/slow', def, bearer(tokens.run))).status,
    ).to.equal(403);
    expect(
      (await http(agent.url, 'PUT', '/api/v1/definitions/slow', def, bearer(tokens.admin))).status,
    ).to.equal(201);
    const run = await http(
      agent.url,
      'POST',
      '/api/v1/definitions/slow/runs',
      {},
      bearer(tokens.run),
    );
    expect(run.status).to.equal(201);
    const shell = { job: { title: 'x', type: 'shell', params: { command: 'id' } } };
    expect(
      (await http(agent.url, 'POST', '/api/v1/trees', shell, bearer(tokens.run))).status,
    ).to.equal(403);
    const aborted = await http(
      agent.url,
      'POST',
      `/api/v1/trees/${run.body.root}/abort`,
      undefined,
      bearer(tokens.run),
    );
    expect(aborted.status).to.equal(202);
    const tree = await until(async () => {
      const t = await http(
        agent.url,
        'GET',
        `/api/v1/trees/${run.body.root}`,
        undefined,
        bearer(tokens.run),
      );
      return t.body.state === 'ABORTED' && t.body;
    }, 'the run to be aborted');
    expect(tree.job.state).to.equal('ABORTED');
  });

  it('follows logs with the read token over socket.io; a wrong token cannot connect', async () => {
    const token = `admin-${randomUUID()}`;
    const readToken = `read-${randomUUID()}`;
    const agent = await makeAgent(makeStore(), {
      env: { JOBTREE_TOKEN: token, JOBTREE_READ_TOKEN: readToken },
    });
    const made = await http(
      agent.url,
      'POST',
      '/api/v1/trees?wait=true',
      { job: { title: 'r', type: 'noop' } },
      bearer(token),
    );
    const socket = await connect(agent.url, readToken);
    const log = follow(socket, made.body.root as string, 0);
    const ended = await until(() => log.end, 'the log to end');
    expect(ended.state).to.equal('SUCCESS');
    expect(log.text).to.include('finished SUCCESS');
    expect(await connect(agent.url, 'wrong-token-here').catch((e: Error) => e)).to.be.instanceOf(
      Error,
    );
  });
});
