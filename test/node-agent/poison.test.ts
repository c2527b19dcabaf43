/**
 * No record can poison a node (SPEC §18): junk on the status channel, a
 * node record that cannot be read (a bad name, junk fields, the wrong
 * Redis type), a job hash whose params are no JSON and a tree hash whose
 * tags are none are each skipped or settled alone: the agent keeps
 * answering, its claims and its housekeeping go on, and GET answers for
 * the rest. The job whose record cannot be read ends FAILED CORRUPT_RECORD.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Keys } from '../../src/store/keys.js';
import type { StatusEvent } from '../../src/shared/types.js';
import { makeAgent } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect } from '../helpers/log-client.js';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

function raw(): Redis {
  return track(new Redis(testRedisUrl()), (r) => void r.disconnect());
}

describe('node-agent: records that cannot be read (§18)', function () {
  this.timeout(40000);

  it('skips junk on the status channel and goes on delivering real events', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    const socket = await connect(agent.url);
    const heard: StatusEvent[] = [];
    socket.on('status', (e) => heard.push(e));
    socket.emit('status:subscribe', {});
    await waitFor(async () => (await store.listNodes(Date.now())).length === 1); // the agent is up
    const keys = new Keys(store.prefix);
    const redis = raw();
    // the status relay subscribes on demand: wait until the channel has its subscriber
    await waitFor(
      async () =>
        Number(((await redis.pubsub('NUMSUB', keys.statusChannel())) as [string, number])[1]) > 0,
    );
    for (const junk of [
      'not json',
      'null',
      '{"root":1}',
      '[]',
      '{"root":"x","job":"y","state":"DONE","seq":1,"at":1}',
    ])
      await redis.publish(keys.statusChannel(), junk);
    await redis.publish(keys.pausedChannel(), '{"paused":"yes"}');
    const run = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 'after the junk', type: 'noop' },
    });
    expect(run.body.state).to.equal('SUCCESS');
    await waitFor(() => heard.some((e) => e.root === run.body.root && e.state === 'SUCCESS'), {
      what: 'the real event',
    });
    expect(heard.every((e) => typeof e.root === 'string' && typeof e.seq === 'number')).to.equal(
      true,
    );
    expect((await http(agent.url, 'GET', '/api/v1/health')).status).to.equal(200);
  });

  it('lists, reaps and forgets around node records that cannot be read', async () => {
    const store = makeStore();
    const keys = new Keys(store.prefix);
    const redis = raw();
    await redis.sadd(keys.nodes(), 'a name with spaces', 'junk', 'wrongtype');
    await redis.hset(keys.node('junk'), {
      types: 'not json',
      loaded: '[',
      concurrency: 'many',
      url: 'file:///etc',
    });
    await redis.set(keys.node('wrongtype'), 'a string where a hash goes');
    // a node that died with a job running, for the reaper to find past the junk
    const plan = await submit(store, { job: { title: 'on dead', type: 'noop', node: 'dead' } });
    await store.registerNode(nodeInfo('dead'), 300);
    expect(await store.claimJobs('dead', 1, 'run-dead', Date.now())).to.have.length(1);
    const agent = await makeAgent(store, { env: { JOBTREE_HEARTBEAT_TTL_MS: '1000' } });

    const nodes = await http(agent.url, 'GET', '/api/v1/nodes');
    expect(nodes.status).to.equal(200);
    const names = (nodes.body.nodes as Array<{ name: string; types: string[] }>).map((n) => n.name);
    expect(names.sort()).to.deep.equal(['dead', 'junk', 'n1']);
    expect(nodes.body.nodes.find((n: { name: string }) => n.name === 'junk')).to.deep.include({
      types: [],
      concurrency: 0,
    });
    const job = await waitFor(
      async () => {
        const j = await store.getJob(plan.root);
        return j.state === 'FAILED' && j;
      },
      { timeoutMs: 30000, what: 'the dead node to be reaped past the junk records' },
    );
    expect(job.error?.code).to.equal('NODE_LOST');
    // submissions still check types against the nodes that can be read
    const run = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 'still', type: 'noop' },
    });
    expect(run.body.state).to.equal('SUCCESS');
  });

  it('fails a claimed job whose record cannot be read CORRUPT_RECORD, and runs the rest of its batch', async () => {
    const store = makeStore();
    const keys = new Keys(store.prefix);
    const bad = await submit(store, { job: { title: 'bad', type: 'sleep', params: { ms: 1 } } });
    const good = await submit(store, { job: { title: 'good', type: 'sleep', params: { ms: 1 } } });
    await raw().hset(keys.job(bad.root, bad.root), 'params', '{broken');
    const agent = await makeAgent(store); // its first claim takes both
    const badTree = await waitFor(
      async () => {
        const t = await store.getTree(bad.root);
        return t.state !== 'RUNNING' && t;
      },
      { what: 'the corrupt job to end' },
    );
    expect(badTree.state).to.equal('FAILED');
    expect(badTree.job.error).to.deep.include({ code: 'CORRUPT_RECORD' });
    expect(badTree.job.error?.message).to.include('params');
    await waitFor(async () => (await store.getTree(good.root)).state === 'SUCCESS', {
      what: 'the good job',
    });
    // no job is left RUNNING, and an abort is answered for what it is
    const abort = await http(agent.url, 'POST', `/api/v1/trees/${bad.root}/abort`);
    expect(abort.status).to.equal(409);
  });

  it('drops queue, retry and running entries that are no entries, and claims the rest', async () => {
    const store = makeStore();
    const keys = new Keys(store.prefix);
    const redis = raw();
    const ghost = `${randomUUID()}|${randomUUID()}`;
    const wrongType = await submit(store, {
      job: { title: 'its key is no hash', type: 'noop', node: 'n1' },
    });
    const good = await submit(store, { job: { title: 'good', type: 'noop', node: 'n1' } });
    await redis.del(keys.job(wrongType.root, wrongType.root));
    await redis.set(keys.job(wrongType.root, wrongType.root), 'not a hash');
    await redis.lpush(keys.queue('n1'), 'garbage', 'a|b', `{x}|${randomUUID()}`, ghost);
    await redis.zadd(keys.delayed(), 0, 'junk');
    await redis.sadd(keys.running('n1'), 'junk', ghost);
    const claimed = await store.claimJobs('n1', 10, 'tok', Date.now());
    expect(claimed.map((c) => c.title)).to.deep.equal(['good']);
    expect(await redis.llen(keys.queue('n1'))).to.equal(0);
    // an adoption and a restart's settling walk the running set past the junk too
    expect((await store.adoptClaims('n1', 'tok', [])).map((c) => c.title)).to.deep.equal(['good']);
    expect(
      await store.failRunning('n1', 'other-token', 'AGENT_RESTARTED', 'restarted', Date.now()),
    ).to.equal(1);
    expect((await store.getJob(good.root)).state).to.equal('FAILED');
    expect(await redis.smembers(keys.running('n1'))).to.deep.equal([]);
  });

  it('answers the rest of a listing, and a tree, around fields that cannot be read', async () => {
    const store = makeStore();
    const keys = new Keys(store.prefix);
    const agent = await makeAgent(store);
    const a = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      tags: { app: 'x' },
      job: { title: 'a', type: 'noop' },
    });
    const b = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      tags: { app: 'x' },
      job: { title: 'b', type: 'noop' },
    });
    const redis = raw();
    await redis.hset(keys.tree(a.body.root), 'tags', '{nope');
    await redis.hset(keys.job(a.body.root, a.body.root), {
      params: '[',
      error: '{',
      compensate: 'x',
      attempts: '?',
    });
    const list = await http(agent.url, 'GET', '/api/v1/trees');
    expect(list.status).to.equal(200);
    expect((list.body.trees as Array<{ root: string }>).map((t) => t.root).sort()).to.deep.equal(
      [a.body.root, b.body.root].sort(),
    );
    const tree = await http(agent.url, 'GET', `/api/v1/trees/${a.body.root}`);
    expect(tree.status).to.equal(200);
    expect(tree.body.job.params).to.deep.equal({});
    expect((await http(agent.url, 'GET', `/api/v1/jobs/${a.body.root}`)).status).to.equal(200);
  });
});
