/**
 * The job and cluster routes of SPEC §7: one job, abort, grafting children,
 * nodes, health, metrics; the token of §10 on all but health.
 */
import { expect } from 'chai';
import { newId } from '../../src/shared/ids.js';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

async function setup(env: Record<string, string> = {}) {
  const store = makeStore();
  const agent = await makeAgent(store, { node: 'api-1', env });
  return {
    store,
    agent,
    api: (m: string, p: string, b?: unknown, h?: Record<string, string>) =>
      http(agent.url, m, p, b, h),
  };
}

describe('api: jobs and nodes', () => {
  it('GET /jobs/:id answers one job with result and child ids; 404 for unknown ids', async () => {
    const { api } = await setup();
    const { body } = await api('POST', '/api/v1/trees?wait=true', {
      job: {
        title: 'r',
        type: 'noop',
        children: [{ title: 'c', type: 'shell', params: { command: 'true' } }],
      },
    });
    const child = body.job.children[0];
    const res = await api('GET', `/api/v1/jobs/${child.id}`);
    expect(res.body).to.include({
      id: child.id,
      root: body.root,
      parent: body.root,
      state: 'SUCCESS',
      summary: 'exit 0',
    });
    expect(res.body.result).to.deep.equal({ exitCode: 0 });
    expect((await api('GET', `/api/v1/jobs/${body.root}`)).body.children).to.deep.equal([child.id]);
    expect((await api('GET', `/api/v1/jobs/${newId()}`)).status).to.equal(404);
    expect((await api('GET', '/api/v1/jobs/not-a-uuid')).status).to.equal(404);
  });

  it('POST /jobs/:id/abort answers 202 and the tree ends ABORTED', async () => {
    const { api, store } = await setup();
    const log = await collectEvents(store);
    const { body } = await api('POST', '/api/v1/trees', {
      job: {
        title: 'r',
        type: 'noop',
        children: [{ title: 's', type: 'sleep', params: { ms: 30000 } }],
      },
    });
    const sleeper = body.jobs[1].id;
    await log.until((e) => e.job === sleeper && e.state === 'RUNNING');
    const res = await api('POST', `/api/v1/jobs/${sleeper}/abort`);
    expect(res.status).to.equal(202);
    expect(res.body.root).to.equal(body.root);
    await log.until((e) => e.job === sleeper && e.state === 'ABORTED');
    expect((await api('GET', `/api/v1/trees/${body.root}`)).body.state).to.equal('ABORTED');
  });

  it('POST /jobs/:id/children grafts under a waiting job (201) and refuses a started one (409)', async () => {
    const { api, store } = await setup();
    const log = await collectEvents(store);
    const { body } = await api('POST', '/api/v1/trees', {
      job: {
        title: 'r',
        type: 'noop',
        children: [{ title: 'gate', type: 'sleep', params: { ms: 400 } }],
      },
    });
    const gate = body.jobs[1].id;
    await log.until((e) => e.job === gate && e.state === 'RUNNING');
    const added = await api('POST', `/api/v1/jobs/${body.root}/children`, {
      jobs: [{ title: 'extra', type: 'noop' }],
    });
    expect(added.status).to.equal(201);
    expect(added.body.jobs[0]).to.include({ title: 'extra', node: 'api-1', parent: body.root });
    const late = await api('POST', `/api/v1/jobs/${gate}/children`, {
      jobs: [{ title: 'x', type: 'noop' }],
    });
    expect(late.status).to.equal(409);
    const bad = await api('POST', `/api/v1/jobs/${body.root}/children`, { jobs: [{ title: 'x' }] });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.path).to.equal('jobs[0].type');
    await log.until((e) => e.job === body.root && e.state === 'SUCCESS');
    const tree = (await api('GET', `/api/v1/trees/${body.root}`)).body;
    expect(tree.job.children.map((c: { title: string }) => c.title)).to.deep.equal([
      'gate',
      'extra',
    ]);
  });

  it('GET /nodes lists live nodes with their job types; /health and /metrics answer', async () => {
    const { api } = await setup();
    const nodes = await api('GET', '/api/v1/nodes');
    expect(nodes.body.nodes).to.have.length(1);
    expect(nodes.body.nodes[0]).to.include({
      name: 'api-1',
      alive: true,
      concurrency: 4,
      running: 0,
    });
    expect(nodes.body.nodes[0].types).to.deep.equal(['noop', 'shell', 'sleep']);
    expect((await api('GET', '/api/v1/health')).body).to.include({ ok: true, node: 'api-1' });
    await api('POST', '/api/v1/trees?wait=true', { job: { title: 'n', type: 'noop' } });
    // the runner counts a job just after reporting it, so the answer may come first
    const metrics = await waitFor(async () => {
      const m = await api('GET', '/metrics');
      return (
        /jobtree_jobs_finished_total\{state="SUCCESS",type="noop",node="api-1"\} 1/.test(m.body) &&
        m
      );
    });
    expect(metrics.headers.get('content-type')).to.match(/^text\/plain/);
    expect(metrics.body).to.match(
      /jobtree_claim_latency_seconds_count\{node="api-1",type="noop"\} 1/,
    );
    expect(metrics.body).to.match(/jobtree_queue_depth\{node="api-1"\} 0/);
  });

  it('requires the cluster token on every route but health when one is set (§10)', async () => {
    const token = 'a-long-enough-cluster-token';
    const { api } = await setup({ JOBTREE_TOKEN: token });
    const none = await api('GET', '/api/v1/nodes');
    expect(none.status).to.equal(401);
    expect(none.body.error.code).to.equal('UNAUTHORIZED');
    expect(
      (await api('GET', '/api/v1/nodes', undefined, { authorization: 'Bearer wrong' })).status,
    ).to.equal(401);
    expect((await api('GET', '/metrics')).status).to.equal(401);
    expect(
      (await api('GET', '/api/v1/nodes', undefined, { authorization: `Bearer ${token}` })).status,
    ).to.equal(200);
    expect((await api('GET', '/api/v1/health')).status).to.equal(200);
  });

  it('answers unknown routes with the error shape', async () => {
    const { api } = await setup();
    const res = await api('GET', '/api/v1/nope');
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('NOT_FOUND');
  });
});
