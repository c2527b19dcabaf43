/**
 * A real Sentinel group for tests (SPEC §17): a master and two replicas
 * from redis-server on free ports, and one sentinel watching them (quorum
 * 1), each in its own process. `failover()` forces SENTINEL FAILOVER and
 * waits until a replica is the master the sentinel names. Two replicas, as
 * a real group has: the one not promoted follows the new master at once
 * (the old master only some seconds later), so writes confirmed by a
 * replica (redis-client.ts) go on right after the failover. The second
 * replica is never promoted (replica-priority 0), so that a test can hold
 * a failover open: `failover({ holdMs })` stalls it, and the sentinel
 * cannot end the failover (+switch-master) before it has followed the new
 * master.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { destroyRedis, freePort, launch, startRedis, type TestRedis } from './redis.js';
import { waitFor } from './wait.js';

export interface SentinelGroup {
  name: string;
  master: TestRedis;
  replicas: TestRedis[];
  sentinelPort: number;
  /** JOBTREE_REDIS_SENTINELS / JOBTREE_REDIS_NAME for an agent of this group. */
  env: Record<string, string>;
  /** The port of the server the sentinel names as master now. */
  masterPort(): Promise<number>;
  /** Resolves once the sentinel holds every replica up and in sync. */
  inSync(): Promise<void>;
  /** True while the sentinel's failover is still under way (before +switch-master). */
  failingOver(): Promise<boolean>;
  /**
   * Forces a failover; resolves once the first replica is master and the
   * sentinel names it. With `holdMs` the second replica sleeps that long
   * from just before it: the failover stays under way until then.
   */
  failover(options?: { holdMs?: number }): Promise<void>;
  destroy(): Promise<void>;
}

const role = async (port: number): Promise<string> => {
  const r = new Redis(port, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await r.connect();
    return String(((await r.call('ROLE')) as unknown[])[0]);
  } finally {
    r.disconnect();
  }
};

export async function startSentinelGroup(name = 'jobtree-main'): Promise<SentinelGroup> {
  const master = await startRedis();
  // DEBUG SLEEP (local) lets a test stall a replica
  const replicaOf = [
    '--replicaof',
    '127.0.0.1',
    String(master.port),
    '--enable-debug-command',
    'local',
  ];
  const replicas = [
    await startRedis({ extra: replicaOf }),
    await startRedis({ extra: [...replicaOf, '--replica-priority', '0'] }),
  ];
  const servers = [master, ...replicas];
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-sentinel-'));
  const sentinelPort = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      // a replica held asleep is not down (a down one does not keep a failover open)
      `sentinel down-after-milliseconds ${name} 5000`,
      // long enough that a held failover ends when its replica wakes, not by its timeout
      `sentinel failover-timeout ${name} 20000`,
      '',
    ].join('\n'),
  );
  const sentinel: ChildProcess = await launch(sentinelPort, dir, ['--sentinel'], conf).catch(
    async (err: unknown) => {
      await Promise.all(servers.map(destroyRedis));
      throw err;
    },
  );
  const admin = new Redis(sentinelPort, { maxRetriesPerRequest: 1 });
  const ask = (...args: string[]) => admin.call('SENTINEL', ...args);
  const group: SentinelGroup = {
    name,
    master,
    replicas,
    sentinelPort,
    env: { JOBTREE_REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, JOBTREE_REDIS_NAME: name },
    async masterPort() {
      const addr = (await ask('get-master-addr-by-name', name)) as [string, string];
      return Number(addr[1]);
    },
    async inSync() {
      await waitFor(
        async () => {
          const known = (await ask('replicas', name)) as string[][];
          const inSync = known.filter((fields) => {
            const field = (f: string) => fields[fields.indexOf(f) + 1];
            return field('flags') === 'slave' && field('master-link-status') === 'ok';
          });
          return inSync.length === replicas.length;
        },
        { timeoutMs: 20000, what: 'the sentinel to see both replicas in sync' },
      );
    },
    async failingOver() {
      const fields = (await ask('master', name)) as string[];
      return String(fields[fields.indexOf('flags') + 1]).includes('failover_in_progress');
    },
    async failover(options = {}) {
      const from = await group.masterPort();
      if (options.holdMs) {
        // the group may be destroyed before the sleep ends: its end is no error of the test's
        const held = new Redis(replicas[1]?.port ?? 0).on('error', () => undefined);
        await held.ping(); // connected: the sleep starts now, before the failover
        void held
          .call('DEBUG', 'SLEEP', String(options.holdMs / 1000))
          .catch(() => undefined)
          .finally(() => held.disconnect());
      }
      await ask('failover', name);
      await waitFor(
        async () => {
          const to = await group.masterPort();
          return to !== from && (await role(to)) === 'master';
        },
        { timeoutMs: 20000, what: `the failover from ${from}` },
      );
    },
    async destroy() {
      admin.disconnect();
      if (sentinel.exitCode === null && sentinel.signalCode === null) {
        const exited = once(sentinel, 'exit');
        sentinel.kill('SIGTERM');
        await exited;
      }
      await Promise.all(servers.map(destroyRedis));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // a failover needs replicas the sentinel knows, in sync with their master
  await group.inSync();
  return group;
}
