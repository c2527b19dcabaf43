/**
 * Registered job types and pools across real agent processes (SPEC §11,
 * §12): `jobtree types add` reaches every node, bad registrations are
 * refused with nothing stored, a pool of 2 never runs 3 jobs with 3 agents
 * racing, and admission "reject" answers 503 NO_SLOTS writing nothing.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const DEPLOY = `
export default {
  name: 'deploy-docker',
  paramsSchema: { type: 'object', required: ['image'], properties: { image: { type: 'string' } } },
  async run(ctx) {
    ctx.log('deploying ' + ctx.params.image + ' on ' + ctx.node);
    return { result: { image: ctx.params.image, node: ctx.node }, summary: 'deployed' };
  },
};
`;

async function typeOnNodes(url: string, name: string, nodes: string[]): Promise<void> {
  await waitFor(
    async () => {
      const list = (await http(url, 'GET', '/api/v1/job-types')).body.types;
      const t = list.find((x: { name: string }) => x.name === name);
      return t && nodes.every((n) => t.nodes[n]?.version === String(t.versions.at(-1).version));
    },
    { timeoutMs: 5000, what: `${name} loaded on ${nodes.join(', ')}` },
  );
}

describe('e2e: registered job types', function () {
  this.timeout(60000);

  it('registers with the CLI, reaches a second node within seconds, and deregisters (§11)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const [a, b] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const file = join(tempDir(), 'deploy-docker.mjs');
    writeFileSync(file, DEPLOY);
    const env = { JOBTREE_SERVER: a!.url };
    const added = await runCli(['types', 'add', file], { env });
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stdout).to.match(/^deploy-docker version 1 sha256 [0-9a-f]{64}\n$/);
    const again = await runCli(['types', 'add', file], { env });
    expect(again.stdout).to.include('version 1').and.include('unchanged');
    await typeOnNodes(a!.url, 'deploy-docker', ['a', 'b']);
    // checked at submission on a (the schema b published), run on b
    const bad = await http(a!.url, 'POST', '/api/v1/trees', {
      job: { title: 'd', type: 'deploy-docker', node: 'b', params: {} },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.path).to.equal('job.params.image');
    const ok = await http(a!.url, 'POST', '/api/v1/trees?wait=true&timeout=20', {
      job: { title: 'd', type: 'deploy-docker', node: 'b', params: { image: 'shop:43' } },
    });
    expect(ok.body.job).to.include({ state: 'SUCCESS', typeVersion: '1', node: 'b' });
    expect(ok.body.job.result).to.deep.equal({ image: 'shop:43', node: 'b' });
    const ls = await runCli(['types', 'ls'], { env });
    expect(ls.stdout).to.match(/deploy-docker\s+registered\s+1\s+[0-9a-f]{12}\s+a@1,b@1/);
    const nodes = await runCli(['nodes'], { env: { JOBTREE_SERVER: b!.url } });
    expect(nodes.stdout).to.include('deploy-docker@1');
    expect((await runCli(['types', 'rm', 'deploy-docker'], { env })).code).to.equal(0);
    await waitFor(async () => {
      const res = await http(b!.url, 'POST', '/api/v1/trees', {
        job: { title: 'd', type: 'deploy-docker', params: { image: 'x' } },
      });
      return res.body.error?.code === 'UNKNOWN_TYPE';
    });
  });

  it('shows a version that failed to load on one node, and refuses jobs for that node (§11)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const [a, b] = await Promise.all([
      spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix }),
      spawnAgent({ node: 'b', redisUrl: testRedisUrl(), prefix, env: { JT_TEST_PICKY: '1' } }),
    ]);
    const picky = [
      "if (process.env.JT_TEST_PICKY) throw new Error('not on this node');",
      'export default { name: "picky", async run() { return { summary: "ran" }; } };',
    ].join('\n');
    const put = await http(a!.url, 'PUT', '/api/v1/job-types/picky', picky, {
      'content-type': 'application/javascript',
    });
    expect(put.status).to.equal(201);
    const t = await waitFor(async () => {
      const list = (await http(a!.url, 'GET', '/api/v1/job-types')).body.types;
      const found = list.find((x: { name: string }) => x.name === 'picky');
      return found?.nodes.a && found.nodes.b ? found : undefined;
    });
    expect(t.nodes.a).to.deep.equal({ version: '1' });
    expect(t.nodes.b.error).to.include('not on this node');
    const ls = await runCli(['types'], { env: { JOBTREE_SERVER: b!.url } });
    expect(ls.stdout).to.match(/picky on b: .*not on this node/);
    expect(b!.output()).to.include('registered job type failed to load');
    const forB = await http(a!.url, 'POST', '/api/v1/trees', {
      job: { title: 'p', type: 'picky', node: 'b' },
    });
    expect(forB.body.error).to.include({ code: 'UNKNOWN_TYPE', path: 'job.type' });
    const forA = await http(b!.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 'p', type: 'picky', node: 'a' },
    });
    expect(forA.body.job).to.include({ state: 'SUCCESS', summary: 'ran' });
  });

  it('refuses bad registrations with 400/413 naming what is wrong, storing nothing (§11)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const a = await spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix });
    const put = (name: string, body: string) =>
      http(a.url, 'PUT', `/api/v1/job-types/${name}`, body, {
        'content-type': 'application/javascript',
      });
    const notJs = await put('broken', 'this is { not javascript');
    expect(notJs.status).to.equal(400);
    expect(notJs.body.error).to.include({ code: 'BAD_MODULE', path: 'body' });
    expect(notJs.body.error.message).to.match(/SyntaxError|Unexpected/);
    const noRun = await put('lazy', 'export default { name: "lazy" };');
    expect(noRun.status).to.equal(400);
    expect(noRun.body.error.message).to.include('run: not a function');
    const throwing = await put('grumpy', 'throw new Error("not today");');
    expect(throwing.body.error.message).to.include('not today');
    const badName = await put('Bad_Name', DEPLOY);
    expect(badName.status).to.equal(400);
    expect(badName.body.error.path).to.equal('name');
    const huge = await put('huge', `// ${'x'.repeat(4 * 1024 * 1024 + 10)}\n${DEPLOY}`);
    expect(huge.status).to.equal(413);
    const builtin = await put('shell', DEPLOY);
    expect(builtin.status).to.equal(409);
    const json = await http(a.url, 'PUT', '/api/v1/job-types/deploy-docker', { source: DEPLOY });
    expect(json.status).to.equal(415);
    const store = makeStore(testRedisUrl(), prefix);
    expect(await store.jobTypes.list()).to.deep.equal([]);
  });
});

describe('e2e: pools', function () {
  this.timeout(60000);

  it('runs at most 2 jobs of a pool of 2 at once with 3 agents racing for 8 (§12)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const agents = await Promise.all(
      ['a', 'b', 'c'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const set = await runCli(['pools', 'set', 'deploys', '2'], {
      env: { JOBTREE_SERVER: agents[0]!.url },
    });
    expect(set.stdout).to.include('pool deploys: 2 slots (created)');
    const res = await http(agents[1]!.url, 'POST', '/api/v1/trees?wait=true&timeout=40', {
      job: {
        title: 'deploy all',
        type: 'noop',
        children: Array.from({ length: 8 }, (_, i) => ({
          title: `deploy ${i}`,
          type: 'sleep',
          node: '*',
          pool: 'deploys',
          params: { ms: 150 },
        })),
      },
    });
    expect(res.body.state).to.equal('SUCCESS');
    const jobs = res.body.job.children as Array<{
      startedAt: number;
      finishedAt: number;
      node: string;
    }>;
    // the most jobs running at any instant, from the jobs' own timestamps
    const edges = jobs.flatMap((j) => [
      [j.startedAt, 1],
      [j.finishedAt, -1],
    ]) as Array<[number, number]>;
    edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let now = 0;
    let most = 0;
    for (const [, d] of edges) most = Math.max(most, (now += d));
    expect(most).to.equal(2);
    const pools = await runCli(['pools'], { env: { JOBTREE_SERVER: agents[2]!.url } });
    expect(pools.stdout).to.match(/deploys\s+2\s+0\s+0/);
    const metrics = (await http(agents[2]!.url, 'GET', '/metrics')).body as string;
    expect(metrics).to.match(/jobtree_pool_slots\{pool="deploys",node="c"\} 2/);
    expect(metrics).to.match(/jobtree_pool_used\{pool="deploys",node="c"\} 0/);
  });

  it('answers 503 NO_SLOTS with Retry-After and writes nothing when a leaf cannot start (§12)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const a = await spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix });
    await http(a.url, 'PUT', '/api/v1/pools/deploys', { slots: 1 });
    const gate = join(tempDir(), 'gate');
    const holder = await http(a.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'holds the slot',
        type: 'shell',
        pool: 'deploys',
        params: { command: `while [ ! -e ${gate} ]; do sleep 0.02; done` },
      },
    });
    await waitFor(async () => (await http(a.url, 'GET', '/api/v1/pools')).body.pools[0].used === 1);
    const before = (await http(a.url, 'GET', '/api/v1/trees')).body.trees.length;
    const spec = { job: { title: 'wants the slot', type: 'noop', pool: 'deploys' } };
    const refused = await http(a.url, 'POST', '/api/v1/trees?admission=reject', spec);
    expect(refused.status).to.equal(503);
    expect(refused.body.error.code).to.equal('NO_SLOTS');
    expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(0);
    const inBody = await http(a.url, 'POST', '/api/v1/trees', { ...spec, admission: 'reject' });
    expect(inBody.status).to.equal(503);
    expect((await http(a.url, 'GET', '/api/v1/trees')).body.trees.length).to.equal(before);
    // without it the work waits, and runs once the slot is free
    const waits = await http(a.url, 'POST', '/api/v1/trees', spec);
    expect(waits.status).to.equal(201);
    const busy = await http(a.url, 'DELETE', '/api/v1/pools/deploys');
    expect(busy.status).to.equal(409);
    writeFileSync(gate, '');
    await waitFor(
      async () =>
        (await http(a.url, 'GET', `/api/v1/trees/${waits.body.root}`)).body.state === 'SUCCESS',
    );
    expect((await http(a.url, 'GET', `/api/v1/trees/${holder.body.root}`)).body.state).to.equal(
      'SUCCESS',
    );
    expect((await http(a.url, 'DELETE', '/api/v1/pools/deploys')).status).to.equal(200);
  });
});
