/**
 * Trees in pages (SPEC §17): `?depth=N&limit=L` lists jobs down to depth N,
 * each job's children cut to a first page with childCount, next and the
 * per-state counts of every subtree not listed whole; `?children=JOB&cursor=C`
 * pages the rest; a tree of more than 10,000 jobs answers as depth=1 would
 * unless a depth is asked; bad paging input is a 400 naming the field.
 */
import { expect } from 'chai';
import type { JobSpec, NestedJob } from '../../src/shared/types.js';
import { makeAgent, runCli } from '../helpers/agents.js';
import { makeApp } from '../helpers/app.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';

const leaves = (n: number, prefix: string): JobSpec[] =>
  Array.from({ length: n }, (_, i) => ({ title: `${prefix}${i}`, type: 'noop' }));

describe('api: trees in pages (§17)', function () {
  this.timeout(30000);

  it("pages a tree by depth and a job's children by cursor, with subtree counts", async () => {
    // the API alone (createApp, no port): no agent runs these trees' jobs
    const app = makeApp(makeStore());
    const api = (p: string) => app.request('GET', p);
    // node "far" has no agent: every job stays where the submission put it
    const { body } = await app.request('POST', '/api/v1/trees', {
      job: {
        title: 'root',
        type: 'noop',
        node: 'far',
        children: [
          { title: 'g0', type: 'noop', children: leaves(2500, 'a') },
          { title: 'g1', type: 'noop', children: leaves(2, 'b') },
          { title: 'g2', type: 'noop' },
        ],
      },
    });
    const root = body.root as string;
    const page = await api(`/api/v1/trees/${root}?depth=1&limit=2`);
    const top = page.body.job as NestedJob;
    expect(top).to.deep.include({ childCount: 3, next: '2' });
    expect(top.counts).to.deep.equal({ WAITING: 3, QUEUED: 2503 });
    const [g0, g1] = top.children;
    expect(top.children.map((c) => c.title)).to.deep.equal(['g0', 'g1']);
    expect(g0).to.deep.include({ childCount: 2500, next: '0', children: [] });
    expect(g0!.counts).to.deep.equal({ WAITING: 1, QUEUED: 2500 });
    expect(g1!.counts).to.deep.equal({ WAITING: 1, QUEUED: 2 });

    const rest = await api(`/api/v1/trees/${root}?children=${root}&cursor=2&limit=2`);
    expect(rest.body.next).to.equal(null);
    expect(rest.body.jobs.map((j: NestedJob) => [j.title, j.childCount, j.next])).to.deep.equal([
      ['g2', 0, null],
    ]);
    const first = await api(`/api/v1/trees/${root}?children=${g0!.id}&limit=1000`);
    expect(first.body.jobs).to.have.length(1000);
    expect(first.body.jobs[999].title).to.equal('a999');
    const last = await api(`/api/v1/trees/${root}?children=${g0!.id}&cursor=2000&limit=1000`);
    expect(last.body.jobs.map((j: NestedJob) => j.title)).to.deep.equal(
      Array.from({ length: 500 }, (_, i) => `a${2000 + i}`),
    );
    expect(last.body.next).to.equal(null);

    // depth 2: g1's children are listed, and g0's first page of them
    const deeper = await api(`/api/v1/trees/${root}?depth=2&limit=3`);
    const d0 = (deeper.body.job as NestedJob).children[0]!;
    expect(d0.children.map((c) => c.title)).to.deep.equal(['a0', 'a1', 'a2']);
    expect(d0).to.deep.include({ next: '3' });

    for (const [query, path] of [
      [`children=${root}&cursor=abc`, 'cursor'],
      ['depth=10000', 'depth'],
      ['depth=1&limit=0', 'limit'],
      ['children=nope', 'children'],
    ] as const) {
      const bad = await api(`/api/v1/trees/${root}?${query}`);
      expect(bad.status, query).to.equal(400);
      expect(bad.body.error.path, query).to.equal(path);
    }
  });

  it('finds jobs by title anywhere in the tree, at most the limit, and says when there are more', async () => {
    // the API alone (createApp, no port): no agent runs these trees' jobs
    const app = makeApp(makeStore());
    const api = (p: string) => app.request('GET', p);
    const { body } = await app.request('POST', '/api/v1/trees', {
      job: {
        title: 'Deploy',
        type: 'noop',
        node: 'far',
        children: [
          { title: 'web tier', type: 'noop', children: leaves(3, 'Web host ') },
          { title: 'db tier', type: 'noop', children: leaves(2, 'db host ') },
        ],
      },
    });
    const root = body.root as string;
    const web = await api(`/api/v1/trees/${root}?search=WEB`);
    expect(web.body.more).to.equal(false);
    // level by level: the tier before its hosts, each with what a row needs
    expect(web.body.jobs.map((j: { title: string }) => j.title)).to.deep.equal([
      'web tier',
      'Web host 0',
      'Web host 1',
      'Web host 2',
    ]);
    expect(web.body.jobs[1]).to.include({ state: 'QUEUED', node: 'far' });
    expect(web.body.jobs[1].parent).to.equal(web.body.jobs[0].id);
    const two = await api(`/api/v1/trees/${root}?search=host&limit=2`);
    expect(two.body.jobs.map((j: { title: string }) => j.title)).to.deep.equal([
      'Web host 0',
      'Web host 1',
    ]);
    expect(two.body.more).to.equal(true);
    expect((await api(`/api/v1/trees/${root}?search=nothing`)).body).to.deep.equal({
      jobs: [],
      more: false,
    });
    const blank = await api(`/api/v1/trees/${root}?search=%20`);
    expect([blank.status, blank.body.error.path]).to.deep.equal([400, 'search']);
    const missing = await api(
      `/api/v1/trees/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}?search=x`,
    );
    expect(missing.status).to.equal(404);
  });

  it('answers a tree of more than 10,000 jobs as depth=1 unless asked, a small one whole', async () => {
    const agent = await makeAgent(makeStore(), { node: 'pages2' });
    const big = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'big', type: 'noop', node: 'far', children: leaves(10_500, 'j') },
    });
    const tree = await http(agent.url, 'GET', `/api/v1/trees/${big.body.root}`);
    const top = tree.body.job as NestedJob;
    expect(top).to.deep.include({ childCount: 10_500, next: '1000' });
    expect(top.children).to.have.length(1000);
    expect(top.counts).to.deep.equal({ WAITING: 1, QUEUED: 10_500 });
    // jobtree show folds what the page did not list; --all lists every job
    const shown = await runCli(['--server', agent.url, 'show', big.body.root as string]);
    const lines = shown.stdout.trim().split('\n');
    expect(lines).to.have.length(1 + 1 + 1000 + 1);
    expect(lines.at(-1)).to.equal(
      '└─ … 9,500 more children (subtree: WAITING 1, QUEUED 10,500); --all shows them',
    );
    const all = await runCli(['--server', agent.url, 'show', '--all', big.body.root as string]);
    expect(all.stdout.trim().split('\n')).to.have.length(1 + 1 + 10_500);
    const small = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'small', type: 'noop', node: 'far', children: leaves(3, 's') },
    });
    const whole = await http(agent.url, 'GET', `/api/v1/trees/${small.body.root}`);
    expect(whole.body.job.children).to.have.length(3);
    expect(whole.body.job).not.to.have.property('childCount');
  });
});
