/**
 * The hostile suite of SPEC §18, property-based (fast-check): at least
 * 1,000 generated requests to every write route (and the reads), with
 * every role, no token, foreign Hosts and Origins, and any body; and 1,000
 * generated socket events from sockets of every role. The agent answers no
 * 5xx but the documented 503s, a request it refuses writes no key (seen by
 * Redis's own keyspace notifications), and it stays healthy with its
 * heartbeat alive throughout. CI runs a fixed seed; elsewhere the seed is
 * random and printed: FUZZ_SEED=<seed> replays a run.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { HostileFixtures, HostileRequest } from '../helpers/hostile.js';
import { hostileEvent, hostileRequest } from '../helpers/hostile.js';
import { spawnAgent, type AgentProcess } from '../helpers/agents.js';
import { http, rawRequest } from '../helpers/http.js';
import { connect, type TestSocket } from '../helpers/log-client.js';
import { destroyRedis, startRedis } from '../helpers/redis.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const SEED = Number(process.env.FUZZ_SEED ?? (process.env.CI ? 20261207 : Date.now() % 2 ** 31));
/** 503s the reference documents: the store away, a node's log away, no room. */
const DOCUMENTED_503 = new Set([
  'REDIS_UNAVAILABLE',
  'NODE_UNAVAILABLE',
  'BACKLOG_FULL',
  'NO_SLOTS',
  'TREE_STORING',
  'BUSY',
]);
/** Keys the agent writes on its own (heartbeat, lease, idle slots): not a request's doing. */
const BOOKKEEPING = /:(nodes|node:[^:]+(:alive)?|lease:.*|idle.*)$/;

/** Every key write Redis announces under `prefix`, as they come. */
async function watchWrites(url: string, prefix: string) {
  const sub = track(new Redis(url), (r) => void r.disconnect());
  const writes: string[] = [];
  sub.on('pmessage', (_p, channel, key) => {
    if (key.startsWith(`${prefix}:`) && !BOOKKEEPING.test(key))
      writes.push(`${channel.split(':').pop()} ${key}`);
  });
  await sub.psubscribe('__keyevent@0__:*');
  return {
    writes,
    /** Resolves once every notification of a write made before the call has arrived. */
    settle: () => sub.ping(),
  };
}

async function fixtures(
  agent: AgentProcess,
  tokens: HostileFixtures['tokens'],
): Promise<HostileFixtures> {
  const admin = { authorization: `Bearer ${tokens.admin}` };
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await http(agent.url, method, path, body, admin);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.be.below(300);
    return res.body;
  };
  // nothing runs: what is written, a request wrote. The agent hears of its drain by a message:
  // wait for it to say so, or a submission made just after might still be claimed
  await api('POST', '/api/v1/nodes/n1/drain');
  await waitFor(() => agent.output().includes('draining: claiming nothing'), {
    what: 'the agent to drain',
  });
  await api('PUT', '/api/v1/pools/fix-pool', { slots: 3 });
  const tree = await api('POST', '/api/v1/trees', {
    job: {
      title: 'fixture',
      type: 'noop',
      children: [
        { title: 'a', type: 'sleep', params: { ms: 1 } },
        { title: 'b', type: 'noop' },
      ],
    },
  });
  await api('PUT', '/api/v1/definitions/fix-def', {
    maxConcurrentRuns: 1,
    params: { type: 'object', properties: { v: { type: 'string' } } },
    // on a node no agent runs: the run holds the definition's one place for good
    tree: { job: { title: 'run ${params.v}', type: 'noop', node: 'far' } },
  });
  await api('POST', '/api/v1/definitions/fix-def/runs', { params: { v: 'first' } }); // holds the limit
  const messages = [];
  for (const v of ['m1', 'm2'])
    messages.push((await api('POST', '/api/v1/definitions/fix-def/messages', { v })).id as string);
  return {
    host: new URL(agent.url).host,
    tokens,
    root: tree.root as string,
    jobs: (tree.jobs as Array<{ id: string }>).map((j) => j.id),
    definition: 'fix-def',
    messages,
    pool: 'fix-pool',
  };
}

/** The agent answers and its heartbeat is fresh. */
async function assertHealthy(agent: AgentProcess, token: string): Promise<void> {
  expect(agent.child.exitCode, agent.output().slice(-2000)).to.equal(null);
  expect((await http(agent.url, 'GET', '/api/v1/health')).status).to.equal(200);
  const nodes = (
    await http(agent.url, 'GET', '/api/v1/nodes', undefined, { authorization: `Bearer ${token}` })
  ).body.nodes;
  const me = (nodes as Array<{ name: string; alive: boolean }>).find((n) => n.name === 'n1');
  expect(me?.alive, 'the heartbeat never lapses').to.equal(true);
}

describe(`api: hostile requests and events, property-based (§18, seed ${SEED})`, function () {
  this.timeout(600000);

  it('answers 1,000 generated requests and 1,000 socket events of every role as documented, writing nothing it refuses', async () => {
    console.log(`      fuzz seed ${SEED} (FUZZ_SEED=${SEED} npm test to replay)`);
    const redis = track(
      await startRedis({ extra: ['--notify-keyspace-events', 'KEA'] }),
      destroyRedis,
    );
    const prefix = `jt-${randomUUID()}`;
    const tokens = {
      admin: `admin-${randomUUID()}`,
      run: `run-${randomUUID()}`,
      read: `read-${randomUUID()}`,
    };
    const agent = await spawnAgent({
      node: 'n1',
      redisUrl: redis.url,
      prefix,
      env: {
        JOBTREE_TOKEN: tokens.admin,
        JOBTREE_RUN_TOKEN: tokens.run,
        JOBTREE_READ_TOKEN: tokens.read,
        JOBTREE_LOG_LEVEL: 'info',
      },
    });
    const f = await fixtures(agent, tokens);
    const watch = await watchWrites(redis.url, prefix);
    await watch.settle();
    watch.writes.length = 0;

    const statuses = new Map<number, number>();
    let sent = 0;
    const send = async (r: HostileRequest): Promise<void> => {
      await watch.settle(); // what the last request wrote is counted as its own
      const before = watch.writes.length;
      const res = await rawRequest(agent.url, r.method, r.path, r.headers, r.body);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const what = `${r.method} ${r.path.slice(0, 120)} [${r.headers.authorization?.slice(7, 12) ?? 'no token'}] ${String(r.body).slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`;
      if (res.status >= 500) {
        expect(res.status, what).to.equal(503);
        expect(DOCUMENTED_503.has(JSON.parse(res.text).error.code), what).to.equal(true);
      }
      if (res.status >= 400) {
        await watch.settle();
        const wrote = watch.writes.slice(before);
        expect(wrote, `a refused request wrote ${wrote.join(', ')}: ${what}`).to.deep.equal([]);
      }
      if (++sent % 100 === 0) await assertHealthy(agent, tokens.admin);
    };
    await fc.assert(fc.asyncProperty(hostileRequest(f), send), {
      seed: SEED,
      numRuns: 1000,
      endOnFailure: true,
    });
    console.log(
      `      ${sent} requests: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    expect(statuses.get(403) ?? 0).to.be.above(50);
    expect([...statuses.keys()].some((s) => s < 300)).to.equal(true); // some went through

    // socket events, from a socket of each role; a wrong token gets no socket at all
    expect(
      await connect(agent.url, 'not-a-token-of-this-cluster').catch((e: Error) => e.message),
    ).to.equal('UNAUTHORIZED');
    const sockets: TestSocket[] = [];
    for (const role of ['read', 'run', 'admin'] as const)
      sockets.push(await connect(agent.url, tokens[role]));
    const before = watch.writes.length;
    let emitted = 0;
    await fc.assert(
      fc.asyncProperty(hostileEvent(f), fc.nat(2), async (e, which) => {
        const raw = sockets[which] as unknown as { emit(event: string, ...args: unknown[]): void };
        raw.emit(e.event, e.payload);
        emitted += 1;
      }),
      { seed: SEED, numRuns: 1000 },
    );
    // every socket still answers: its events were taken in order, none threw
    // every socket still answers, and a new one too: no event threw, none was taken out of order
    expect(agent.child.exitCode, agent.output().slice(-2000)).to.equal(null);
    for (const s of [...sockets, await connect(agent.url, tokens.read)]) {
      const tree = new Promise<string>((resolve) => s.once('tree', () => resolve('tree')));
      s.emit('status:subscribe', { root: f.root });
      const answer = await Promise.race([
        tree,
        new Promise((r) => setTimeout(() => r('none'), 10000)),
      ]);
      expect(answer, 'a snapshot after the events').to.equal('tree');
      expect(s.connected).to.equal(true);
    }
    await watch.settle();
    expect(watch.writes.slice(before), 'socket events wrote').to.deep.equal([]);
    expect(emitted).to.equal(1000);
    await assertHealthy(agent, tokens.admin);
  });
});
