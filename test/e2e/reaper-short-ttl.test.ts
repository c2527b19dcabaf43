/**
 * SPEC §9 with the shortest heartbeat the config accepts (200 ms TTL):
 * after an outage longer than the TTL every node's heartbeat key has
 * expired, and the nodes come back one by one: the network reaches them
 * unevenly, then each waits out its own reconnect back-off (up to 2 s).
 * Node a comes back first; node b, which runs a job across the outage,
 * regains Redis 1.2 s later (each talks to Redis through a gate of its
 * own) and then reconnects when its back-off allows. a's reaper must not
 * declare b lost meanwhile: b's job ends SUCCESS.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusEvent } from '../../src/shared/types.js';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { TcpGate } from '../helpers/gate.js';
import { http } from '../helpers/http.js';
import { destroyRedis, startRedis } from '../helpers/redis.js';
import { makeStore } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('e2e: the reaper after an outage, at the shortest TTL', function () {
  this.timeout(60000);

  it('does not reap a node whose reconnect comes 1.2 s after the reaper’s', async () => {
    const redis = track(await startRedis(), destroyRedis);
    const gates = { a: await TcpGate.start(redis.port), b: await TcpGate.start(redis.port) };
    const prefix = 'short-ttl';
    const env = { JOBTREE_HEARTBEAT_TTL_MS: '200', JOBTREE_HEARTBEAT_INTERVAL_MS: '50' };
    const [a] = await Promise.all(
      (['a', 'b'] as const).map((node) =>
        spawnAgent({ node, redisUrl: gates[node].url, prefix, env }),
      ),
    );
    const raw = track(new Redis(redis.url), (r) => r.disconnect());
    const alive = async (node: string) => (await raw.exists(`${prefix}:node:${node}:alive`)) === 1;
    const events: StatusEvent[] = [];
    const sub = makeStore(redis.url, prefix).subscribeStatus((e) => events.push(e));
    await sub.ready;
    const go = join(tempDir(), 'go');
    const { body } = await http(a!.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'across the outage',
        type: 'shell',
        node: 'b',
        params: { command: `while [ ! -e ${go} ]; do sleep 0.02; done` },
      },
    });
    const root = body.root as string;
    await waitFor(() => events.some((e) => e.job === root && e.state === 'RUNNING'), {
      what: 'the job running on b',
    });
    // the outage: both nodes cut off until every heartbeat key has expired
    gates.a.shut();
    gates.b.shut();
    await waitFor(async () => !(await alive('a')) && !(await alive('b')), { what: 'keys expired' });
    gates.a.open();
    await waitFor(() => alive('a'), { timeoutMs: 10000, what: 'a beating again' });
    await pause(1200); // b's reconnect still backing off
    gates.b.open();
    await waitFor(() => alive('b'), { timeoutMs: 10000, what: 'b beating again' });
    writeFileSync(go, '');
    const end = await waitFor(() => events.find((e) => e.job === root && e.prev === 'RUNNING'), {
      timeoutMs: 15000,
      what: 'the job to end',
    });
    expect(end.state, JSON.stringify(end.error ?? {})).to.equal('SUCCESS');
  });
});
