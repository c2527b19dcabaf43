/**
 * SPEC §19 with real agent processes on three nodes: a merged tail of a
 * tree over all three, one of them killed with SIGKILL mid-stream (it is
 * named in the stream, and the tail still ends); the log of a job whose
 * node was killed after it ended, served from its archive by reads, tails
 * and searches on another node; and retention deleting the archives with
 * their tree.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnAgent, type AgentProcess } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect, until } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';
import { lineOf, tail } from '../helpers/tail-client.js';
import { track } from '../helpers/track.js';

const FAST_DEATH = { JOBTREE_HEARTBEAT_TTL_MS: '1000', JOBTREE_HEARTBEAT_INTERVAL_MS: '200' };

async function threeNodes(env: Record<string, string> = {}) {
  const prefix = `jt-${randomUUID()}`;
  const store = makeStore(testRedisUrl(), prefix);
  const [a, b, c] = await Promise.all(
    ['a', 'b', 'c'].map((node) =>
      spawnAgent({ node, redisUrl: testRedisUrl(), prefix, env: { ...FAST_DEATH, ...env } }),
    ),
  );
  return { prefix, store, a: a!, b: b!, c: c! };
}

const ticker = (title: string, node: string, n: number, pause: number) => ({
  title,
  type: 'shell',
  node,
  params: { command: `for i in $(seq 1 ${n}); do echo "${title} $i"; sleep ${pause}; done` },
});

function fileLines(agent: AgentProcess, root: string, job: string): string[] {
  const text = readFileSync(join(agent.dataDir, 'logs', root, `${job}.log`), 'utf8');
  return text.split('\n').filter(Boolean);
}

describe('e2e: cluster-wide logs on three nodes (§19)', function () {
  this.timeout(90000);

  it('tails a tree over three nodes, names a node killed mid-stream, and still ends', async () => {
    const { a, b, c } = await threeNodes();
    const made = await http(a.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'deploy',
        type: 'noop',
        children: [
          ticker('on-a', 'a', 20, 0.05),
          ticker('on-b', 'b', 20, 0.05),
          ticker('on-c', 'c', 600, 0.05),
        ],
      },
    });
    const root = made.body.root as string;
    const socket = await connect(a.url);
    const t = tail(socket, { sub: 'all', scope: { root } });
    await until(
      () =>
        ['a', 'b', 'c'].every((n) => t.lines.some((l) => l.node === n && l.source === 'stdout')),
      'lines from all three nodes',
    );
    await c.kill9();
    await until(() => t.ended, 'the tail ends with the tree', 30000);
    expect(t.errors.map((e) => `${e.code} ${e.node}`)).to.deep.equal(['NODE_UNAVAILABLE c']);
    expect(t.gaps).to.deep.equal([]);
    const tree = await http(a.url, 'GET', `/api/v1/trees/${root}`);
    expect(tree.body.state).to.equal('FAILED'); // c's job: NODE_LOST
    for (const [agent, title] of [
      [a, 'on-a'],
      [b, 'on-b'],
    ] as const) {
      const job = (tree.body.job.children as Array<{ id: string; title: string }>).find(
        (j) => j.title === title,
      )!;
      expect(t.lines.filter((l) => l.job === job.id).map(lineOf), title).to.deep.equal(
        fileLines(agent, root, job.id),
      );
    }
    // c's lines came in file order up to its death, none twice
    const fromC = t.lines.filter((l) => l.node === 'c' && l.source === 'stdout').map((l) => l.text);
    expect(fromC).to.deep.equal(Array.from({ length: fromC.length }, (_, i) => `on-c ${i + 1}`));
  });

  it('serves a killed node’s ended job from its archive everywhere, until retention deletes it', async () => {
    const { prefix, store, a, c } = await threeNodes({
      JOBTREE_RETENTION_MAX_AGE_MS: '8000',
      JOBTREE_RETENTION_SWEEP_INTERVAL_MS: '300',
    });
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
      job: {
        title: 'on-c',
        type: 'shell',
        node: 'c',
        params: { command: "echo 'hello from c'; echo 'connection refused' >&2" },
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const root = made.body.root as string;
    await until(async () => (await store.readArchive(root, root)) !== null, 'archived');
    const whole = fileLines(c, root, root);
    await c.kill9();
    await until(
      async () => !(await store.liveNodes(Date.now())).some((n) => n.name === 'c'),
      'c is dead',
    );

    const read = await http(a.url, 'GET', `/api/v1/jobs/${root}/log`);
    expect(read.status).to.equal(200);
    expect(read.headers.get('x-log-source')).to.equal('archive');
    expect((read.body as string).split('\n').filter(Boolean)).to.deep.equal(whole);

    const socket = await connect(a.url);
    const t = tail(socket, { sub: 'gone', scope: { root } });
    await until(() => t.ended, 'the archived tail ends');
    expect(t.lines.map(lineOf)).to.deep.equal(whole);
    expect(t.lines.every((l) => l.archived === true && l.node === 'c')).to.equal(true);

    const found = await http(a.url, 'GET', `/api/v1/logs/search?root=${root}&q=refused`);
    expect(
      found.body.matches.map((m: { text: string; archived?: boolean }) => [m.text, m.archived]),
    ).to.deep.equal([['connection refused', true]]);

    // retention deletes the tree and its archives; the log is gone with them
    await until(
      async () => (await http(a.url, 'GET', `/api/v1/trees/${root}`)).status === 404,
      'deleted',
      20000,
    );
    const redis = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    expect(await redis.exists(`${prefix}:{${root}}:logs`, `${prefix}:{${root}}:lognodes`)).to.equal(
      0,
    );
    expect((await http(a.url, 'GET', `/api/v1/jobs/${root}/log`)).status).to.equal(404);
  });
});
