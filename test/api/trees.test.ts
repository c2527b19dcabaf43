/**
 * The tree routes of SPEC §7: submit (201, 400 with path, 413, sync wait),
 * list by tags, read, abort (202, 409, 404), pause and resume (200, 409, 404).
 */
import { expect } from 'chai';
import { newId } from '../../src/shared/ids.js';
import { makeAgent } from '../helpers/agents.js';
import { fixture } from '../helpers/fixtures.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';

async function setup() {
  const store = makeStore();
  const agent = await makeAgent(store, { node: 'api-1' });
  return { store, agent, api: (m: string, p: string, b?: unknown) => http(agent.url, m, p, b) };
}

describe('api: trees', () => {
  it('POST /trees answers 201 with the root and every job, rooted on the accepting node', async () => {
    const { api } = await setup();
    const res = await api('POST', '/api/v1/trees', fixture('two-level'));
    expect(res.status).to.equal(201);
    expect(res.body.root).to.have.length(36);
    expect(res.body.jobs).to.have.length(4);
    expect(res.body.jobs[0]).to.deep.equal({
      id: res.body.root,
      title: 'Deploy shop v42',
      node: 'api-1',
      parent: null,
    });
  });

  it('answers 400 naming the first bad field, and writes nothing', async () => {
    const { api, store } = await setup();
    const bad = {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          { title: 'ok', type: 'noop' },
          { title: 'x', type: 'sleep', params: { ms: 'soon' } },
        ],
      },
    };
    const res = await api('POST', '/api/v1/trees', bad);
    expect(res.status).to.equal(400);
    expect(res.body.error).to.include({ code: 'VALIDATION', path: 'job.children[1].params.ms' });
    expect((await store.listTrees({ tags: [], limit: 5 })).trees).to.deep.equal([]);
    const notJson = await api('POST', '/api/v1/trees', '{"job": ');
    expect(notJson.status).to.equal(400);
  });

  it('answers 413 for a body over 16 MiB', async () => {
    const { api } = await setup();
    const res = await api(
      'POST',
      '/api/v1/trees',
      JSON.stringify({
        job: { title: 'r', type: 'noop', params: { pad: 'x'.repeat(17 * 1024 * 1024) } },
      }),
    );
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal('TOO_LARGE');
  });

  it('answers 503 BACKLOG_FULL with Retry-After when a node queue would overflow, and writes nothing', async () => {
    const store = makeStore();
    const agent = await makeAgent(store, {
      node: 'api-1',
      env: { JOBTREE_BACKLOG_MAX_QUEUED: '3' },
    });
    const leaves = (node: string, n: number) => ({
      job: {
        title: `to ${node}`,
        type: 'noop',
        node,
        children: Array.from({ length: n }, (_, i) => ({ title: `j${i}`, type: 'noop' })),
      },
    });
    // nobody runs "away": its queue fills up
    expect((await http(agent.url, 'POST', '/api/v1/trees', leaves('away', 3))).status).to.equal(
      201,
    );
    const before = await store.listTrees({ tags: [], limit: 10 });
    const full = await http(agent.url, 'POST', '/api/v1/trees', leaves('away', 1));
    expect(full.status).to.equal(503);
    expect(full.body.error.code).to.equal('BACKLOG_FULL');
    expect(full.body.error.message).to.match(/node away/);
    expect(full.headers.get('retry-after')).to.equal('5');
    expect(await store.listTrees({ tags: [], limit: 10 })).to.deep.equal(before);
    expect(await store.queueDepth('away')).to.equal(3);
    // other nodes are not held up
    expect((await http(agent.url, 'POST', '/api/v1/trees', leaves('other', 2))).status).to.equal(
      201,
    );
  });

  it('with ?wait=true answers 200 and the final tree when it ends in time, else 202', async () => {
    const { api } = await setup();
    const fast = await api('POST', '/api/v1/trees?wait=true&timeout=10', {
      job: { title: 'f', type: 'sleep', params: { ms: 50 } },
    });
    expect(fast.status).to.equal(200);
    expect(fast.body.state).to.equal('SUCCESS');
    expect(fast.body.job.state).to.equal('SUCCESS');
    const slow = await api('POST', '/api/v1/trees?wait=true&timeout=0.2', {
      job: { title: 's', type: 'sleep', params: { ms: 5000 } },
    });
    expect(slow.status).to.equal(202);
    expect(slow.body.state).to.equal('RUNNING');
  });

  it('GET /trees filters by every tag and state, newest first, with a cursor', async () => {
    const { api } = await setup();
    for (const v of ['1', '2', '3']) {
      await api('POST', '/api/v1/trees', {
        tags: { application: 'shop', version: v },
        job: { title: `v${v}`, type: 'noop' },
      });
    }
    await api('POST', '/api/v1/trees', {
      tags: { application: 'blog' },
      job: { title: 'blog', type: 'noop' },
    });
    const page1 = await api('GET', '/api/v1/trees?tag=application:shop&limit=2');
    expect(page1.body.trees.map((t: { title: string }) => t.title)).to.deep.equal(['v3', 'v2']);
    const page2 = await api(
      'GET',
      `/api/v1/trees?tag=application:shop&limit=2&cursor=${page1.body.next}`,
    );
    expect(page2.body.trees.map((t: { title: string }) => t.title)).to.deep.equal(['v1']);
    const both = await api('GET', '/api/v1/trees?tag=application:shop&tag=version:2');
    expect(both.body.trees.map((t: { title: string }) => t.title)).to.deep.equal(['v2']);
    expect((await api('GET', '/api/v1/trees?state=DONE')).body.error.path).to.equal('state');
    expect((await api('GET', '/api/v1/trees?tag=nocolon')).body.error.path).to.equal('tag');
    expect((await api('GET', '/api/v1/trees?limit=0')).status).to.equal(400);
  });

  it('GET /trees/:root answers the nested tree, and 404 for unknown or malformed ids', async () => {
    const { api } = await setup();
    const { body } = await api('POST', '/api/v1/trees', fixture('two-level'));
    const res = await api('GET', `/api/v1/trees/${body.root}`);
    expect(res.body).to.include.keys('root', 'state', 'seq', 'tags', 'context', 'job');
    expect(res.body.job.children[0].children[0].title).to.equal('Fetch source');
    expect((await api('GET', `/api/v1/trees/${newId()}`)).status).to.equal(404);
    expect((await api('GET', '/api/v1/trees/..%2F..%2Fetc')).status).to.equal(404);
  });

  it('POST /trees/:root/abort answers 202, then 409 once the tree is finished', async () => {
    const { api } = await setup();
    const { body } = await api('POST', '/api/v1/trees', {
      job: { title: 's', type: 'sleep', params: { ms: 30000 } },
    });
    const first = await api('POST', `/api/v1/trees/${body.root}/abort`);
    expect(first.status).to.equal(202);
    const done = await api('POST', `/api/v1/trees?wait=true`, {
      job: { title: 'n', type: 'noop' },
    });
    const again = await api('POST', `/api/v1/trees/${done.body.root}/abort`);
    expect(again.status).to.equal(409);
    expect((await api('POST', `/api/v1/trees/${newId()}/abort`)).status).to.equal(404);
  });

  it('POST /trees/:root/pause and /resume answer 200 with what changed, 409 once finished', async () => {
    const { api } = await setup();
    const { body } = await api('POST', '/api/v1/trees', {
      job: { title: 's', type: 'sleep', params: { ms: 30000 } },
    });
    const paused = await api('POST', `/api/v1/trees/${body.root}/pause`);
    expect(paused.status).to.equal(200);
    expect(paused.body).to.deep.equal({ root: body.root, paused: true, changed: true });
    expect((await api('POST', `/api/v1/trees/${body.root}/pause`)).body.changed).to.equal(false);
    expect((await api('GET', `/api/v1/trees/${body.root}`)).body.paused).to.equal(true);
    const listed = await api('GET', '/api/v1/trees');
    expect(listed.body.trees[0]).to.include({ root: body.root, paused: true });
    const resumed = await api('POST', `/api/v1/trees/${body.root}/resume`);
    expect(resumed.body).to.deep.equal({ root: body.root, paused: false, changed: true });
    expect((await api('GET', `/api/v1/trees/${body.root}`)).body.paused).to.equal(false);

    await api('POST', `/api/v1/trees/${body.root}/abort`);
    const done = await api('POST', `/api/v1/trees?wait=true`, {
      job: { title: 'n', type: 'noop' },
    });
    for (const verb of ['pause', 'resume']) {
      const late = await api('POST', `/api/v1/trees/${done.body.root}/${verb}`);
      expect(late.status).to.equal(409);
      expect(late.body.error.code).to.equal('TREE_FINISHED');
      expect((await api('POST', `/api/v1/trees/${newId()}/${verb}`)).status).to.equal(404);
    }
  });
});
