/**
 * Writes on a Redis Cluster whose masters have replicas (SPEC §17): a
 * script's answer waits until every healthy replica of the master that ran
 * it has its writes, so a master that crashes and fails over loses nothing
 * it acknowledged; a write its replica did not confirm is an outage; and a
 * master whose scripts were flushed gets them again.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { planTree } from '../../src/jobtree/plan.js';
import { UnavailableError } from '../../src/shared/errors.js';
import { parseClusterNodes } from '../../src/store/cluster-replicas.js';
import { ShardedStore } from '../../src/store/sharded-store.js';
import { idInShard } from '../../src/store/shards.js';
import { startCluster } from '../helpers/cluster.js';
import { nodeInfo } from '../helpers/store.js';
import { track } from '../helpers/track.js';

/**
 * The script calls a master runs, each with the command that came next on
 * its connection ("evalsha wait", "eval wait"), read from MONITOR on a
 * plain socket (ioredis's own monitor client can take a line of the feed
 * for the answer to a command, under load); `stop` reads up to a marker
 * sent after them.
 */
async function watchScripts(port: number): Promise<{ stop(): Promise<string[]> }> {
  const socket = track(connect(port, '127.0.0.1'), (s) => void s.destroy());
  await once(socket, 'connect');
  const last = new Map<string, string>(); // connection -> its last script call
  const calls: string[] = [];
  const marker = `end-${randomUUID()}`;
  let buffered = '';
  let started: () => void = () => undefined;
  const monitoring = new Promise<void>((resolve) => (started = resolve));
  const ended = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\r\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '+OK') started();
        // +1796685213.945197 [0 127.0.0.1:54980] "evalsha" "..."
        const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]*)"(?: "([^"]*)")?/.exec(line);
        if (!m) continue;
        const [, source = '', name = '', first] = m;
        const command = name.toLowerCase();
        if (first === marker) return resolve();
        const before = last.get(source);
        if (before !== undefined) calls.push(`${before} ${command}`);
        last.delete(source);
        if (command === 'eval' || command === 'evalsha') last.set(source, command);
      }
    });
  });
  socket.write('MONITOR\r\n');
  await monitoring;
  return {
    async stop() {
      const echo = track(
        new Redis(port).on('error', () => undefined),
        (r) => r.disconnect(),
      );
      await echo.echo(marker);
      await ended;
      socket.destroy();
      return [...calls, ...[...last.values()].map((c) => `${c} (nothing after)`)];
    },
  };
}

describe('store: a Redis Cluster with replicas (§17)', function () {
  this.timeout(60000);

  it('reads the masters’ slots and healthy replicas from CLUSTER NODES', () => {
    const view = parseClusterNodes(
      [
        'm1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460',
        'm2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922 [10923->-m3]',
        'r1 127.0.0.1:7003@17003 slave m1 0 0 1 connected',
        'r2 127.0.0.1:7004@17004 slave,fail? m2 0 0 2 connected',
        'r3 127.0.0.1:7005@17005 slave m1 0 0 1 disconnected',
        '',
      ].join('\n'),
    );
    expect(view.ranges).to.deep.equal([
      [0, 5460, 'm1'],
      [5461, 10922, 'm2'],
    ]);
    expect([...view.replicas]).to.deep.equal([
      ['m1', 1],
      ['m2', 0],
    ]);
  });

  it('answers a write its master’s replica did not confirm as Redis unavailable', async () => {
    const cluster = track(await startCluster(3, { replicas: 1 }), (c) => c.destroy());
    const prefix = `jt-${randomUUID()}`;
    const store = track(new ShardedStore({ kind: 'cluster', nodes: cluster.urls }, prefix), (s) =>
      s.close(),
    );
    const submitIn = async (shard: number) => {
      const near = idInShard(shard);
      const plan = planTree(
        { job: { title: 'r', type: 'noop', node: 'n1' } },
        { acceptingNode: 'n1', newId: store.idSource({ near }) },
      );
      await store.submitTree({
        root: plan.root,
        title: 'r',
        node: 'n1',
        tags: {},
        context: {},
        jobs: plan.jobs,
        at: Date.now(),
      });
    };
    await submitIn(5); // confirmed by the replica
    await store.registerNode(nodeInfo('n1'), 10000);
    const client = (port: number) =>
      track(
        new Redis(port).on('error', () => undefined),
        (r) => r.disconnect(),
      );
    const replicas = cluster.replicaPorts.map(client);
    // connected: the sleeps are sent at once, before the writes
    await Promise.all(replicas.map((r) => r.ping()));
    const sleeping = replicas.map((r) => r.call('DEBUG', 'SLEEP', '2.5'));
    const refused = (e: unknown) => {
      expect(e).to.be.instanceOf(UnavailableError);
      expect((e as Error & { cause: Error }).cause.message).to.match(/^NOREPLICAS/);
    };
    const [submitted, drained] = await Promise.all([
      submitIn(5).catch((e: unknown) => e),
      store.setDrain('n1', true).catch((e: unknown) => e), // an operator's word too (SPEC §16)
    ]);
    refused(submitted);
    refused(drained);
    await Promise.all(sleeping);
    await submitIn(5); // confirmed again
    expect(await store.setDrain('n1', true)).to.equal(true);

    // a master whose scripts were flushed gets them again, in the pipeline with its WAIT:
    // every script that ran is followed by a WAIT on its master, nothing is refused
    const masters = cluster.ports.map(client);
    const seen = await Promise.all(cluster.ports.map((port) => watchScripts(port)));
    await Promise.all(masters.map((m) => m.script('FLUSH')));
    await submitIn(5);
    expect(await store.setDrain('n1', false)).to.equal(true);
    const sent = (await Promise.all(seen.map((s) => s.stop()))).flat();
    const loads = sent.filter((s) => s.startsWith('eval ')).length;
    expect(loads, sent.join(' | ')).to.be.greaterThan(0);
    for (const s of sent) expect(s, sent.join(' | ')).to.match(/ wait$/);
  });
});
