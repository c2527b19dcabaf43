/**
 * The read-only token (SPEC §16 roles): it lists, shows, follows and reads
 * logs, over HTTP and socket.io, and gets 403 FORBIDDEN on every route that
 * changes state (found by walking the API's router, so a new write route
 * is covered the day it is added); the cluster token may do everything.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { apiRouter } from '../../src/api/app.js';
import type { AppDeps } from '../../src/api/app-deps.js';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** A request path for a route's pattern: ids where ids go, names elsewhere. */
function concrete(pattern: string): string {
  return pattern.replace(/:(\w+)/g, (_m, name: string) =>
    ['root', 'id'].includes(name) ? randomUUID() : 'some-name',
  );
}

describe('api: the read-only token', () => {
  it('reads everything and changes nothing: 403 FORBIDDEN on every write route', async () => {
    const token = `admin-${randomUUID()}`;
    const readToken = `read-${randomUUID()}`;
    const agent = await makeAgent(makeStore(), {
      env: { JOBTREE_TOKEN: token, JOBTREE_READ_TOKEN: readToken },
    });
    const tree = { job: { title: 'r', type: 'noop' } };
    const made = await http(agent.url, 'POST', '/api/v1/trees?wait=true', tree, bearer(token));
    expect(made.status).to.equal(200);
    const root = made.body.root as string;

    for (const path of [
      '/api/v1/trees',
      `/api/v1/trees/${root}`,
      '/api/v1/nodes',
      '/api/v1/pools',
    ]) {
      expect(
        (await http(agent.url, 'GET', path, undefined, bearer(readToken))).status,
        path,
      ).to.equal(200);
    }
    expect(
      (await http(agent.url, 'GET', `/api/v1/jobs/${root}/log`, undefined, bearer(readToken)))
        .status,
    ).to.equal(200);

    const router = apiRouter({} as AppDeps); // handlers are not called: only the routes are read
    const writes = router.stack.flatMap((layer) =>
      layer.methods
        .filter((m) => !['GET', 'HEAD'].includes(m))
        .map((m) => [m, layer.path] as const),
    );
    expect(writes.length).to.be.at.least(15);
    for (const [method, pattern] of writes) {
      const res = await http(agent.url, method, concrete(String(pattern)), {}, bearer(readToken));
      expect(res.status, `${method} ${pattern}`).to.equal(403);
      expect(res.body.error.code).to.equal('FORBIDDEN');
    }
    // none of them wrote anything, and the cluster token still may
    expect(
      (await http(agent.url, 'GET', '/api/v1/trees', undefined, bearer(token))).body.trees,
    ).to.have.length(1);
    expect(
      (await http(agent.url, 'PUT', '/api/v1/pools/p', { slots: 1 }, bearer(token))).status,
    ).to.equal(201);
    expect(
      (await http(agent.url, 'GET', '/api/v1/trees', undefined, bearer('nope'))).status,
    ).to.equal(401);

    // socket.io: the read token follows logs; a wrong one cannot connect
    const socket = await connect(agent.url, readToken);
    const log = follow(socket, root, 0);
    const ended = await until(() => log.end, 'the log to end');
    expect(ended.state).to.equal('SUCCESS');
    expect(log.text).to.include('finished SUCCESS');
    expect(await connect(agent.url, 'wrong-token-here').catch((e: Error) => e)).to.be.instanceOf(
      Error,
    );
  });
});
