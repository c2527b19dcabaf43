/**
 * Definitions across real agent processes (SPEC §13): three messages with
 * maxConcurrentRuns 1 over two agents run one at a time and in order, and
 * still so when the agent running one is killed; `jobtree run -p` and the
 * export → edit → apply round trip.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { definitionFixture } from '../helpers/fixtures.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

interface Run {
  root: string;
  title: string;
  state: string;
  createdAt: number;
  finishedAt?: number;
}

describe('e2e: definitions', function () {
  this.timeout(60000);

  it('runs three messages one at a time and in order over two agents, even when one is killed (§13)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const env = { JOBTREE_HEARTBEAT_TTL_MS: '1000' };
    const [a, b] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix, env })),
    );
    const gates = tempDir();
    const def = {
      params: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
      maxConcurrentRuns: 1,
      tree: {
        job: {
          title: 'deploy ${params.n}',
          type: 'shell',
          node: '*',
          params: {
            command: `echo "$JOBTREE_NODE"; while [ ! -e ${gates}/\${params.n} ]; do sleep 0.02; done`,
          },
        },
      },
    };
    expect((await http(a!.url, 'PUT', '/api/v1/definitions/deploy', def)).status).to.equal(201);
    for (const n of [1, 2, 3]) {
      const res = await http(
        n === 2 ? b!.url : a!.url,
        'POST',
        '/api/v1/definitions/deploy/messages',
        { n },
      );
      expect(res.status).to.equal(202);
    }
    const runs = async (): Promise<Run[]> =>
      ((await http(a!.url, 'GET', '/api/v1/definitions/deploy/runs')).body.runs as Run[]).reverse();
    const running = async (title: string): Promise<Run> =>
      waitFor(
        async () => {
          const all = await runs();
          expect(all.filter((r) => r.state === 'RUNNING').length).to.be.at.most(1);
          return all.find((r) => r.title === title && r.state === 'RUNNING');
        },
        { timeoutMs: 20000, what: `${title} to run` },
      );
    const first = await running('deploy 1');
    expect(
      (await http(a!.url, 'GET', '/api/v1/definitions/deploy/messages')).body.messages,
    ).to.have.length(2);
    // kill the agent that runs deploy 1: its run ends NODE_LOST, and deploy 2 starts on the other
    const job = (await http(a!.url, 'GET', `/api/v1/jobs/${first.root}`)).body;
    const victim = job.node === 'a' ? a! : b!;
    const survivor = victim === a ? b! : a!;
    await victim.kill9();
    await waitFor(
      async () => {
        const t = (await http(survivor.url, 'GET', `/api/v1/trees/${first.root}`)).body;
        return t.state === 'FAILED' && t.job.error.code === 'NODE_LOST';
      },
      { timeoutMs: 20000, what: 'deploy 1 to be lost with its node' },
    );
    const read = async (): Promise<Run[]> =>
      (
        (await http(survivor.url, 'GET', '/api/v1/definitions/deploy/runs')).body.runs as Run[]
      ).reverse();
    await waitFor(
      async () => (await read()).some((r) => r.title === 'deploy 2' && r.state === 'RUNNING'),
      {
        timeoutMs: 20000,
        what: 'deploy 2 to start',
      },
    );
    expect((await read()).filter((r) => r.state === 'RUNNING')).to.have.length(1);
    writeFileSync(join(gates, '2'), '');
    await waitFor(
      async () => (await read()).some((r) => r.title === 'deploy 3' && r.state === 'RUNNING'),
      {
        timeoutMs: 20000,
        what: 'deploy 3 to start',
      },
    );
    writeFileSync(join(gates, '3'), '');
    const done = await waitFor(
      async () => {
        const all = await read();
        return all.length === 3 && all.every((r) => r.state !== 'RUNNING') ? all : undefined;
      },
      { timeoutMs: 20000, what: 'all runs to end' },
    );
    expect(done.map((r) => [r.title, r.state])).to.deep.equal([
      ['deploy 1', 'FAILED'],
      ['deploy 2', 'SUCCESS'],
      ['deploy 3', 'SUCCESS'],
    ]);
    for (let i = 1; i < done.length; i++)
      expect(done[i]!.createdAt).to.be.at.least(done[i - 1]!.finishedAt!);
  });

  it('runs with -p and --wait, and round-trips export → edit → apply (§13)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const a = await spawnAgent({ node: 'n1', redisUrl: testRedisUrl(), prefix });
    const env = { JOBTREE_SERVER: a.url };
    const dir = tempDir();
    const file = join(dir, 'deploy-shop.json');
    writeFileSync(file, JSON.stringify(definitionFixture('deploy-shop')));
    const applied = await runCli(['defs', 'apply', file], { env });
    expect(applied.stdout).to.equal('deploy-shop version 1\n');
    const run = await runCli(
      ['run', 'deploy-shop', '-p', 'version=43', '-p', 'hosts=["n1","n1"]', '--wait'],
      { env },
    );
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include('Deploy shop v43').and.include('start on n1');
    const followed = await runCli(
      ['run', 'deploy-shop', '-p', 'version=45', '-p', 'hosts=["n1"]', '--follow'],
      { env },
    );
    expect(followed.code, followed.stderr).to.equal(0);
    expect(followed.stdout).to.include('start on n1 | agent finished SUCCESS');
    expect(followed.stdout).to.match(
      /tree [0-9a-f-]{36} SUCCESS .*build=b45,definition=deploy-shop/,
    );
    const bad = await runCli(['run', 'deploy-shop', '-p', 'version=forty', '-p', 'hosts=["n1"]'], {
      env,
    });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('(at params.version)');
    const out = join(dir, 'exported.json');
    expect((await runCli(['defs', 'export', 'deploy-shop', out], { env })).code).to.equal(0);
    expect(existsSync(out)).to.equal(true);
    const exported = JSON.parse(readFileSync(out, 'utf8')) as { name: string; description: string };
    expect(exported.name).to.equal('deploy-shop');
    expect((await runCli(['defs', 'apply', out], { env })).stdout).to.equal(
      'deploy-shop version 1 (unchanged)\n',
    );
    exported.description = 'edited';
    writeFileSync(out, JSON.stringify(exported));
    expect((await runCli(['defs', 'apply', out], { env })).stdout).to.equal(
      'deploy-shop version 2\n',
    );
    const show = await runCli(['defs', 'show', 'deploy-shop'], { env });
    expect(show.stdout)
      .to.include('definition deploy-shop version 2 — edited')
      .and.include('Deploy shop v43');
    const ls = await runCli(['defs'], { env });
    expect(ls.stdout).to.match(/deploy-shop\s+2\s+[0-9a-f-]{36}\s+SUCCESS\s+edited/);
  });
});
