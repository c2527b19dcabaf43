/**
 * SPEC §17 Redis Sentinel, with real processes: a master, a replica and a
 * sentinel from redis-server, two agents that know only the sentinel, and
 * SENTINEL FAILOVER forced in the middle of a tree (jobs done, jobs
 * running, jobs queued). The tree must end SUCCESS with every job started
 * exactly once and every transition written once, and a status subscriber
 * made before the failover must go on hearing the tree after it.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { StatusEvent } from '../../src/shared/types.js';
import type { RedisTarget } from '../../src/store/redis-target.js';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { freePort } from '../helpers/redis.js';
import { startSentinelGroup } from '../helpers/sentinel.js';
import { makeStore } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

describe('e2e: Redis Sentinel failover (§17)', function () {
  this.timeout(90000);

  it('finishes a tree across a forced failover: each job run once, each transition once', async () => {
    const group = track(await startSentinelGroup(), (g) => g.destroy());
    const prefix = 'failover';
    const target: RedisTarget = {
      kind: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: group.sentinelPort }],
      name: group.name,
    };
    const spawn = (node: string) =>
      spawnAgent({ node, prefix, env: { ...group.env, JOBTREE_CONCURRENCY: '4' } });
    const [a] = [await spawn('a'), await spawn('b')];
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const go = join(dir, 'go');
    // each job writes its title once per run: a job started twice shows twice
    const run = (title: string, wait = '') => ({
      title,
      type: 'shell',
      params: { command: `${wait}echo ${title} >> ${runs}` },
    });
    const gated = ['a', 'b'].map((node) => ({
      ...run(`gated-${node}`, `while [ ! -e ${go} ]; do sleep 0.02; done; `),
      node,
    }));
    const quick = Array.from({ length: 40 }, (_, i) => ({
      ...run(`quick-${i}`, 'sleep 0.05; '),
      node: '*',
    }));
    const events: StatusEvent[] = [];
    const listener = makeStore(target, prefix);
    const sub = listener.subscribeStatus((e) => events.push(e));
    await sub.ready;

    const submitted = await http(a.url, 'POST', '/api/v1/trees', {
      job: { title: 'root', type: 'noop', children: [...gated, ...quick] },
    });
    expect(submitted.status).to.equal(201);
    const root = submitted.body.root as string;
    await waitFor(() => events.filter((e) => e.state === 'SUCCESS').length >= 8, {
      what: 'some quick jobs done',
    });
    const before = await group.masterPort();
    await group.failover();
    expect(await group.masterPort()).to.not.equal(before);

    // Pub/Sub follows the failover: the subscriber made before it hears the new master
    const probe = new Redis(await group.masterPort());
    track(probe, (p) => p.disconnect());
    // a message of the status channel's shape: anything else is skipped as junk (SPEC §18)
    const mark = {
      job: randomUUID(),
      root: randomUUID(),
      state: 'SUCCESS',
      prev: 'RUNNING',
      node: 'probe',
      at: Date.now(),
      seq: 0,
    };
    await waitFor(
      async () => {
        await probe.publish(`${prefix}:status`, JSON.stringify(mark));
        return events.some((e) => e.job === mark.job);
      },
      { timeoutMs: 20000, intervalMs: 100, what: 'the subscriber to follow the failover' },
    );
    const running = (await http(a.url, 'GET', `/api/v1/trees/${root}`)).body;
    expect(running.state).to.equal('RUNNING'); // the failover came in the middle of the tree

    writeFileSync(go, '');
    await waitFor(() => events.some((e) => e.job === root && e.state === 'SUCCESS'), {
      timeoutMs: 30000,
      what: 'the root to succeed, heard by the subscriber',
    });
    const final = await http(a.url, 'GET', `/api/v1/trees/${root}`);
    expect(final.body.state).to.equal('SUCCESS');
    const children = final.body.job.children as Array<{ state: string }>;
    expect(children.map((c) => c.state)).to.deep.equal(children.map(() => 'SUCCESS'));
    const titles = [...gated, ...quick].map((j) => j.title).sort();
    expect(readFileSync(runs, 'utf8').trim().split('\n').sort()).to.deep.equal(titles);
    // every transition written once: a root's four, a leaf's three (QUEUED, RUNNING, SUCCESS)
    expect(final.body.seq).to.equal(4 + 3 * titles.length);
  });
  it('refuses to start with a master name no sentinel knows; waits while no sentinel answers, until stopped', async () => {
    const group = track(await startSentinelGroup(), (g) => g.destroy());
    const wrong = await spawnAgent({
      node: 'w',
      prefix: 'wrong',
      env: { ...group.env, JOBTREE_REDIS_NAME: 'no-such-master' },
      waitReady: false,
    });
    const [code] = (await once(wrong.child, 'exit')) as [number | null];
    expect(code).to.not.equal(0);
    expect(wrong.output()).to.include(
      'config redis.name: no sentinel knows a master named "no-such-master"',
    );

    const silent = await spawnAgent({
      node: 's',
      prefix: 'silent',
      env: { JOBTREE_REDIS_SENTINELS: `127.0.0.1:${await freePort()}`, JOBTREE_REDIS_NAME: 'm' },
      waitReady: false,
    });
    await waitFor(() => silent.output().includes('waiting for Redis'), {
      what: 'the agent to wait',
    });
    expect(silent.output()).to.include('no sentinel answers yet');
    expect(silent.child.exitCode).to.equal(null); // a documented wait, not an exit
    expect(await silent.stop()).to.equal(0); // and a stop ends the wait
  });
});
