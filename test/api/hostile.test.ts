/**
 * Hostile input (SPEC §3 limits, §10): trees exactly at every limit are
 * accepted through the API and one step over is refused with the field's
 * path; ids that are no ids never reach a key or a path; and a fuzz run of
 * malformed bodies, ids and query strings against a real agent process gets
 * 4xx answers only, never crashes it, and writes no key.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { spawnAgent } from '../helpers/agents.js';
import { fuzzRequests, mulberry32 } from '../helpers/fuzz.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { dumpPrefix } from '../helpers/redis-dump.js';
import { makeStore } from '../helpers/store.js';

/** A chain of `depth` jobs, each the only child of the one above. */
function chain(depth: number): Record<string, unknown> {
  let job: Record<string, unknown> = { title: `level ${depth}`, type: 'noop' };
  for (let d = depth - 1; d >= 1; d--) job = { title: `level ${d}`, type: 'noop', children: [job] };
  return job;
}

/** Shell params of about `bytes` bytes of JSON. */
const padded = (bytes: number) => ({ command: 'true', env: { PAD: 'x'.repeat(bytes - 40) } });

/** Everything under the prefix but the node registry and leases, which heartbeats rewrite. */
/** What requests may change: everything but the agent's own bookkeeping (heartbeat, lease, idle slots). */
async function stateOf(prefix: string): Promise<string> {
  const dump = await dumpPrefix(prefix);
  const own = [`${prefix}:node:`, `${prefix}:lease:`, `${prefix}:idle`];
  const kept = [...dump].filter(([k]) => !own.some((p) => k.startsWith(p))).sort();
  return JSON.stringify(kept);
}

describe('api: hostile input', function () {
  this.timeout(120000);

  it('accepts trees at every limit and refuses one step over, naming the field (§3)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    // Jobs go to a node that does not run, so nothing starts while the test looks.
    const agent = await spawnAgent({ node: 'limits', redisUrl: testRedisUrl(), prefix });
    const post = (body: unknown) => http(agent.url, 'POST', '/api/v1/trees', body);
    const away = { node: 'elsewhere' };
    const tags = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v'.repeat(256)]),
    );
    const cases: Array<[string, unknown, unknown, string]> = [
      ['depth 64', { job: { ...chain(64), ...away } }, { job: { ...chain(65), ...away } }, 'job'],
      [
        'params 64 KiB',
        { job: { title: 'p', type: 'shell', params: padded(65000), ...away } },
        { job: { title: 'p', type: 'shell', params: padded(66000), ...away } },
        'job.params',
      ],
      [
        '16 tags of 256 characters',
        { tags, job: { title: 't', type: 'noop', ...away } },
        { tags: { ...tags, t16: 'v' }, job: { title: 't', type: 'noop', ...away } },
        'tags',
      ],
      [
        'a title of 200 characters',
        { job: { title: 'x'.repeat(200), type: 'noop', ...away } },
        { job: { title: 'x'.repeat(201), type: 'noop', ...away } },
        'job.title',
      ],
    ];
    for (const [name, atLimit, over, path] of cases) {
      const ok = await post(atLimit);
      expect(ok.status, name).to.equal(201);
      const before = await stateOf(prefix);
      const refused = await post(over);
      expect(refused.status, `${name} + 1`).to.equal(400);
      expect(refused.body.error.path, `${name} + 1`).to.match(
        new RegExp(`^${path.replace('.', '\\.')}`),
      );
      expect(await stateOf(prefix), `${name} + 1 wrote nothing`).to.equal(before);
    }

    const leaves = (n: number) => ({
      job: {
        title: 'wide',
        type: 'noop',
        node: 'far', // an empty queue: 99,999 leaves stay within backlog.maxQueued (100,000)
        children: Array.from({ length: n - 1 }, (_, i) => ({ title: `j${i}`, type: 'noop' })),
      },
    });
    const wide = await post(leaves(100_000));
    expect(wide.status).to.equal(201);
    expect(wide.body.jobs).to.have.length(100_000);
    const tooWide = await post(leaves(100_001));
    expect(tooWide.status).to.equal(400);
    expect(tooWide.body.error.path).to.equal('job.children[99999]'); // the first job over
    await store.abortJob(wide.body.root as string, 'test', Date.now());
    expect(await store.deleteTree(wide.body.root as string)).to.equal(100_000); // free the memory
  });

  it('answers 1,000+ malformed requests with 4xx, stays up and writes no key (fuzz)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const agent = await spawnAgent({ node: 'fuzz', redisUrl: testRedisUrl(), prefix });
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    const random = mulberry32(seed);
    const before = await stateOf(prefix);
    const statuses = new Map<number, number>();
    const requests = fuzzRequests(random, 1200);
    for (const r of requests) {
      const res = await fetch(`${agent.url}${r.path}`, {
        method: r.method,
        headers: r.headers,
        ...(r.body !== undefined ? { body: r.body } : {}),
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(
        res.status,
        `seed ${seed}: ${r.method} ${r.path.slice(0, 200)} ${String(r.body).slice(0, 200)}`,
      ).to.be.within(400, 499);
    }
    console.log(
      `      fuzz seed ${seed}: ${requests.length} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(agent.child.exitCode).to.equal(null);
    expect((await http(agent.url, 'GET', '/api/v1/health')).status).to.equal(200);
    expect(await stateOf(prefix)).to.equal(before);
  });
});
