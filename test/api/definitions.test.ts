/**
 * The definition routes of SPEC §13: immutable versions (the same content
 * is no new version), the PUT-time check naming the path in the
 * definition, runs by name with typed params and `$each` expanded into the
 * right nodes, the run tags, 400 with nothing written, idempotency keys,
 * runs listed through the tag index, and maxConcurrentRuns with the inbox.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { definitionFixture } from '../helpers/fixtures.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

async function setup() {
  const store = makeStore();
  const agent = await makeAgent(store, { node: 'n1' });
  return { store, agent, api: (m: string, p: string, b?: unknown) => http(agent.url, m, p, b) };
}

const DEF = '/api/v1/definitions/deploy-shop';

describe('api: definitions', () => {
  it('stores immutable versions; the same content again is the current version (§13)', async () => {
    const { api } = await setup();
    const def = definitionFixture('deploy-shop');
    expect((await api('PUT', DEF, def)).status).to.equal(201);
    const again = await api('PUT', DEF, def);
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal({ name: 'deploy-shop', version: 1 });
    const changed = await api('PUT', DEF, { ...def, description: 'v2' });
    expect(changed.body.version).to.equal(2);
    expect((await api('GET', DEF)).body).to.include({
      version: 2,
      description: 'v2',
      maxConcurrentRuns: null,
    });
    expect((await api('GET', `${DEF}?version=1`)).body.description).to.equal(
      'Deploy the shop to its hosts',
    );
    const versions = (await api('GET', `${DEF}/versions`)).body.versions;
    expect(versions.map((v: { version: number }) => v.version)).to.deep.equal([1, 2]);
    const list = (await api('GET', '/api/v1/definitions')).body.definitions;
    expect(list).to.deep.include({ name: 'deploy-shop', description: 'v2', version: 2 });
    expect((await api('DELETE', DEF)).body).to.deep.equal({ name: 'deploy-shop', deleted: true });
    expect((await api('GET', DEF)).status).to.equal(404);
    expect((await api('DELETE', DEF)).status).to.equal(404);
    // a number is never given twice, even after a deletion
    expect((await api('PUT', DEF, def)).body.version).to.equal(3);
  });

  it('refuses a definition that cannot run, naming the path in it, and stores nothing (§13)', async () => {
    const { api } = await setup();
    const def = definitionFixture('deploy-shop') as {
      tree: { job: { title: string; children: unknown[] } };
    };
    const cases: Array<[unknown, string]> = [
      [{ ...def, tree: { job: { ...def.tree.job, title: 'v${params.nope}' } } }, 'tree.job.title'],
      [
        {
          ...def,
          tree: {
            job: {
              title: 't',
              type: 'noop',
              children: [{ $each: 'params.version', as: 'h', job: { title: 'x', type: 'noop' } }],
            },
          },
        },
        'tree.job.children[0].$each',
      ],
      [
        {
          ...def,
          tree: {
            job: {
              title: 't',
              type: 'noop',
              children: [
                {
                  $each: 'params.hosts',
                  as: 'h',
                  job: { title: 'x', type: 'sleep', params: { ms: '${h}' } },
                },
              ],
            },
          },
        },
        'tree.job.children[0].job.params.ms',
      ],
      [{ ...def, tags: { definition: 'x' } }, 'tags.definition'],
      [{ ...def, maxConcurrentRuns: 0 }, 'maxConcurrentRuns'],
      [{ ...def, tree: { job: { title: 't', type: 'no-such-type' } } }, 'tree.job.type'],
    ];
    for (const [body, path] of cases) {
      const res = await api('PUT', DEF, body);
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.error.path).to.equal(path);
    }
    expect((await api('GET', DEF)).status).to.equal(404);
  });

  it('runs by name: typed params, $each into the right nodes, the run tags (§13)', async () => {
    const { api } = await setup();
    await api('PUT', DEF, definitionFixture('deploy-shop'));
    const res = await api('POST', `${DEF}/runs?wait=true&timeout=20`, {
      params: { version: 43, hosts: ['n1', 'n1'] },
      tags: { team: 'ops', release: 'r43' },
    });
    expect(res.status).to.equal(200);
    expect(res.body.state).to.equal('SUCCESS');
    expect(res.body.job.title).to.equal('Deploy shop v43');
    expect(
      res.body.job.children.map((c: { title: string; node: string; params: unknown }) => [
        c.title,
        c.node,
        c.params,
      ]),
    ).to.deep.equal([
      ['start on n1', 'n1', { ms: 1 }],
      ['start on n1', 'n1', { ms: 1 }],
    ]);
    expect(res.body.tags).to.deep.equal({
      application: 'shop',
      team: 'ops',
      build: 'b43',
      release: 'r43',
      definition: 'deploy-shop',
      'definition.version': '1',
    });
    const runs = (await api('GET', `${DEF}/runs`)).body.runs;
    expect(runs.map((r: { root: string }) => r.root)).to.deep.equal([res.body.root]);
    const listed = (await api('GET', '/api/v1/definitions')).body.definitions[0];
    expect(listed.lastRun).to.include({ root: res.body.root, state: 'SUCCESS' });
    // each host's job goes to that host's node (n2 has no agent: its job waits there)
    const spread = await api('POST', `${DEF}/runs`, {
      params: { version: 44, hosts: ['n1', 'n2'] },
    });
    expect(spread.status).to.equal(201);
    const tree = (await api('GET', `/api/v1/trees/${spread.body.root}`)).body;
    expect(tree.job.children.map((c: { node: string }) => c.node)).to.deep.equal(['n1', 'n2']);
    await api('POST', `/api/v1/trees/${spread.body.root}/abort`);
    expect((await api('GET', `${DEF}/runs?state=FAILED`)).body.runs).to.deep.equal([]);
  });

  it('answers a bad param with 400 naming it in params, writing nothing (§13)', async () => {
    const { api, store } = await setup();
    await api('PUT', DEF, definitionFixture('deploy-shop'));
    for (const [params, path] of [
      [{ version: 'forty', hosts: ['n1'] }, 'params.version'],
      [{ version: 1 }, 'params.hosts'],
      [{ version: 1, hosts: ['n1'], extra: 1 }, 'params.extra'],
    ] as const) {
      const res = await api('POST', `${DEF}/runs`, { params });
      expect(res.status).to.equal(400);
      expect(res.body.error.path).to.equal(path);
    }
    const tagged = await api('POST', `${DEF}/runs`, {
      params: { version: 1, hosts: ['n1'] },
      tags: { definition: 'x' },
    });
    expect(tagged.body.error.path).to.equal('tags.definition');
    expect((await store.listTrees({ tags: [], limit: 5 })).trees).to.deep.equal([]);
  });

  it('answers the same idempotency key with the first run, even when sent at once (§13)', async () => {
    const { api, store } = await setup();
    await api('PUT', DEF, definitionFixture('deploy-shop'));
    const body = { params: { version: 2, hosts: ['n1'] }, idempotencyKey: 'ci-build-77' };
    const answers = await Promise.all([1, 2, 3].map(() => api('POST', `${DEF}/runs`, body)));
    const roots = new Set(answers.map((a) => a.body.root));
    expect(roots.size).to.equal(1);
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 200, 201]);
    expect(
      (await store.listTrees({ tags: [['definition', 'deploy-shop']], limit: 5 })).trees,
    ).to.have.length(1);
    const other = await api('POST', `${DEF}/runs`, { ...body, idempotencyKey: 'ci-build-78' });
    expect(other.body.root).to.not.be.oneOf([...roots]);
  });

  it('holds to maxConcurrentRuns: 409 BUSY, or queued in the inbox and started as runs end (§13)', async () => {
    const { api, agent } = await setup();
    const def = {
      params: { type: 'object', properties: { ms: { type: 'integer', default: 300 } } },
      maxConcurrentRuns: 1,
      tree: { job: { title: 'hold ${params.ms}', type: 'sleep', params: { ms: '${params.ms}' } } },
    };
    await api('PUT', '/api/v1/definitions/one-at-a-time', def);
    const first = await api('POST', '/api/v1/definitions/one-at-a-time/runs', {
      params: { ms: 400 },
    });
    expect(first.status).to.equal(201);
    const busy = await api('POST', '/api/v1/definitions/one-at-a-time/runs', { params: {} });
    expect(busy.status).to.equal(409);
    expect(busy.body.error.code).to.equal('BUSY');
    const both = await api('POST', '/api/v1/definitions/one-at-a-time/runs', {
      params: {},
      queue: true,
      idempotencyKey: 'k',
    });
    expect(both.body.error.path).to.equal('idempotencyKey');
    const queued = await api('POST', '/api/v1/definitions/one-at-a-time/runs', {
      params: { ms: 1 },
      queue: true,
      tags: { pushed: 'by-ci' },
    });
    expect(queued.status).to.equal(202);
    expect(queued.body.position).to.equal(1);
    const m2 = await api('POST', '/api/v1/definitions/one-at-a-time/messages', { ms: 2 });
    const m3 = await api('POST', '/api/v1/definitions/one-at-a-time/messages', { ms: 3 });
    expect(m3.body.position).to.equal(3);
    const waiting = (await api('GET', '/api/v1/definitions/one-at-a-time/messages')).body.messages;
    expect(waiting.map((m: { params: { ms: number } }) => m.params.ms)).to.deep.equal([1, 2, 3]);
    expect(
      (await api('DELETE', `/api/v1/definitions/one-at-a-time/messages/${m2.body.id}`)).status,
    ).to.equal(200);
    expect(
      (await api('DELETE', `/api/v1/definitions/one-at-a-time/messages/${m2.body.id}`)).status,
    ).to.equal(404);
    expect(agent).to.not.equal(undefined);
    const runs = await waitFor(
      async () => {
        const r = (await api('GET', '/api/v1/definitions/one-at-a-time/runs')).body.runs;
        return r.length === 3 && r.every((x: { state: string }) => x.state === 'SUCCESS')
          ? r
          : undefined;
      },
      { timeoutMs: 15000, what: 'the queued runs to start and end' },
    );
    const ordered = [...runs].reverse() as Array<{
      title: string;
      createdAt: number;
      finishedAt: number;
    }>;
    expect(ordered.map((r) => r.title)).to.deep.equal(['hold 400', 'hold 1', 'hold 3']);
    expect((ordered[1] as unknown as { tags: Record<string, string> }).tags.pushed).to.equal(
      'by-ci',
    );
    for (let i = 1; i < ordered.length; i++)
      expect(ordered[i]!.createdAt).to.be.at.least(ordered[i - 1]!.finishedAt);
    expect(
      (await api('GET', '/api/v1/definitions/one-at-a-time/messages')).body.messages,
    ).to.deep.equal([]);
  });

  it('starts the next message when the running run is aborted (§13: however it ends)', async () => {
    const { api } = await setup();
    await api('PUT', '/api/v1/definitions/serial', {
      maxConcurrentRuns: 1,
      params: { type: 'object', properties: { ms: { type: 'integer' } } },
      tree: { job: { title: 'sleep ${params.ms}', type: 'sleep', params: { ms: '${params.ms}' } } },
    });
    const long = await api('POST', '/api/v1/definitions/serial/runs', { params: { ms: 60000 } });
    await api('POST', '/api/v1/definitions/serial/messages', { ms: 1 });
    expect((await api('GET', '/api/v1/definitions/serial/messages')).body.messages).to.have.length(
      1,
    );
    await api('POST', `/api/v1/trees/${long.body.root}/abort`);
    const runs = await waitFor(async () => {
      const r = (await api('GET', '/api/v1/definitions/serial/runs')).body.runs;
      return r.length === 2 && r[0].state === 'SUCCESS' ? r : undefined;
    });
    expect(runs.map((r: { title: string; state: string }) => [r.title, r.state])).to.deep.equal([
      ['sleep 1', 'SUCCESS'],
      ['sleep 60000', 'ABORTED'],
    ]);
  });

  it('applies the *.json of definitions.dirs at start, skipping a bad file (§13)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'deploy-shop.json'), JSON.stringify(definitionFixture('deploy-shop')));
    writeFileSync(
      join(dir, 'nightly.json'),
      JSON.stringify({ tree: { job: { title: 'n', type: 'noop' } } }),
    );
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    writeFileSync(join(dir, 'notes.txt'), 'not a definition');
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_DEFINITIONS_DIRS: dir } });
    const list = (await http(agent.url, 'GET', '/api/v1/definitions')).body.definitions;
    expect(list.map((d: { name: string }) => d.name)).to.deep.equal(['deploy-shop', 'nightly']);
  });
});
