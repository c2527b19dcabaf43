/**
 * SPEC §9, Redis unavailable, with real processes and a real redis-server
 * (AOF, fsync always) shut down mid-tree: jobs finish during the outage,
 * their ends are journalled on each node's disk (one agent is even killed
 * and restarted meanwhile), and once Redis is back on the same data the
 * tree completes with every transition written and published exactly once,
 * and no node is reaped for the silence the outage forced on it.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusEvent } from '../../src/shared/types.js';
import { spawnAgent, tempDir, type AgentProcess } from '../helpers/agents.js';
import { TcpGate } from '../helpers/gate.js';
import { http } from '../helpers/http.js';
import { destroyRedis, startRedis } from '../helpers/redis.js';
import { makeStore } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

function journalLines(agent: AgentProcess): number {
  const path = join(agent.dataDir, 'journal.ndjson');
  if (!existsSync(path)) return 0;
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
}

async function listen(url: string, prefix: string, into: StatusEvent[]) {
  const store = makeStore(url, prefix);
  const sub = store.subscribeStatus((e) => into.push(e));
  await sub.ready;
  return sub;
}

describe('e2e: Redis outage (§9)', function () {
  this.timeout(90000);

  it('journals ends made while Redis is down and replays them once, across an agent restart', async () => {
    const redis = track(await startRedis({ aof: true }), destroyRedis);
    const gate = await TcpGate.start(redis.port);
    const prefix = 'outage';
    // A heartbeat TTL shorter than the outage: every node looks dead when Redis
    // comes back, and the housekeeper must give them a TTL to beat again.
    const env = { JOBTREE_HEARTBEAT_TTL_MS: '1000' };
    const spawn = (node: string, dataDir?: string, waitReady = true) =>
      spawnAgent({
        node,
        redisUrl: gate.url,
        prefix,
        env,
        waitReady,
        ...(dataDir ? { dataDir } : {}),
      });
    const [a, b, c] = [await spawn('a'), await spawn('b'), await spawn('c')];
    const go = join(tempDir(), 'go');
    const waitForGo = { command: `while [ ! -e ${go} ]; do sleep 0.02; done; echo done` };
    const events: StatusEvent[] = [];
    const before = await listen(redis.url, prefix, events);

    const submitted = await http(a.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'switch router',
        type: 'noop',
        children: ['a', 'b', 'c'].map((node) => ({
          title: `instance on ${node}`,
          type: 'shell',
          node,
          params: waitForGo,
        })),
      },
    });
    expect(submitted.status).to.equal(201);
    const root = submitted.body.root as string;
    await waitFor(() => events.filter((e) => e.state === 'RUNNING').length === 3, {
      what: 'three leaves running',
    });

    // The outage: Redis stops for real (its AOF keeps the data) and the jobs finish meanwhile.
    await before.close();
    gate.shut();
    await redis.stop();
    const health = await http(a.url, 'GET', '/api/v1/health');
    expect(health.status).to.equal(503);
    expect(health.body.error.code).to.equal('REDIS_UNAVAILABLE');
    const tree = await http(a.url, 'GET', `/api/v1/trees/${root}`);
    expect(tree.status).to.equal(503);
    writeFileSync(go, '');
    await waitFor(() => [a, b, c].every((x) => journalLines(x) === 1), {
      timeoutMs: 20000,
      what: 'each node to journal its end',
    });
    const finishedBy = Date.now();

    // b is killed and restarted while Redis is still down: its journal survives it.
    await b.kill9();
    const b2 = await spawn('b', b.dataDir, false);
    await waitFor(() => b2.output().includes('waiting for Redis'), { what: 'b to wait for Redis' });

    await redis.restart();
    const after = await listen(redis.url, prefix, events);
    gate.open();
    await waitFor(() => events.find((e) => e.job === root && e.state === 'SUCCESS'), {
      timeoutMs: 30000,
      what: 'the root to succeed',
    });
    await after.close();

    const final = await http(a.url, 'GET', `/api/v1/trees/${root}`);
    expect(final.body.state).to.equal('SUCCESS');
    const leaves = final.body.job.children as Array<{ state: string; finishedAt: number }>;
    expect(leaves.map((j) => j.state)).to.deep.equal(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    // the ends carry the time they happened, during the outage, not the replay's
    for (const leaf of leaves) expect(leaf.finishedAt).to.be.at.most(finishedBy);

    // exactly once: the tree's seq counts every transition, each published once
    const seqs = events.map((e) => e.seq).sort((x, y) => x - y);
    expect(seqs).to.deep.equal(Array.from({ length: final.body.seq as number }, (_, i) => i + 1));
    const path = (id: string) => events.filter((e) => e.job === id).map((e) => e.state);
    expect(path(root)).to.deep.equal(['WAITING', 'QUEUED', 'RUNNING', 'SUCCESS']);
    for (const leaf of final.body.job.children as Array<{ id: string }>)
      expect(path(leaf.id)).to.deep.equal(['QUEUED', 'RUNNING', 'SUCCESS']);
    // each file is emptied just after Redis answered for it
    await waitFor(() => [a, b2, c].every((x) => journalLines(x) === 0), { what: 'empty journals' });
    expect(b2.output()).to.include('journal replayed into Redis');
  });
});
