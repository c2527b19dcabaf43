/**
 * A real Redis Cluster for tests (SPEC §17): three masters from
 * redis-server --cluster-enabled yes on free ports, joined by
 * `redis-cli --cluster create` (each gets a third of the slots), each in
 * its own process.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { ShardedStore } from '../../src/store/sharded-store.js';
import { launch } from './redis.js';
import { track } from './track.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface TestCluster {
  ports: number[];
  /** The replicas' ports (with `replicas`). */
  replicaPorts: number[];
  /** The port of the master that serves `slot` now. */
  masterOf(slot: number): Promise<number>;
  /**
   * Moves `slot` with its keys to the master on port `to`, as a resharding
   * does (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE everywhere).
   */
  moveSlot(slot: number, to: number): Promise<void>;
  /** Starts that move and leaves it in the middle, for a test to take it step by step. */
  startMove(slot: number, to: number): Promise<SlotMove>;
  /** The commands the masters refused with TRYAGAIN since they started (INFO errorstats). */
  tryAgainRefusals(): Promise<number>;
  /** Stops a master (SIGTERM: with `aof`, its data is on disk). */
  stop(port: number): Promise<void>;
  /** Starts a stopped master again on its port, data and cluster config; resolves once the cluster is ok. */
  restart(port: number): Promise<void>;
  /** `redis://127.0.0.1:<port>` of each master. */
  urls: string[];
  /** Commands each master has served since its start (INFO commandstats). */
  commandsServed(): Promise<number[]>;
  destroy(): Promise<void>;
}

/** A slot in the middle of its move (SETSLOT IMPORTING/MIGRATING set). */
export interface SlotMove {
  /** The slot's keys still on the master that gives it away. */
  keysLeft(): Promise<string[]>;
  /** Moves these keys to the new master now (MIGRATE). */
  moveKeys(keys: string[]): Promise<void>;
  /** Moves the keys left and gives the slot to the new master on every node. */
  finish(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 25000);
    if ((await portFree(port)) && (await portFree(port + 10000))) return port;
  }
}

/**
 * `aof`: every write on disk (fsync always), so a master stopped and
 * started keeps its data. `replicas`: that many replicas a master (DEBUG
 * SLEEP allowed on them, to stall one).
 */
export async function startCluster(
  masters = 3,
  options: { aof?: boolean; replicas?: number } = {},
): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-cluster-'));
  const ports: number[] = [];
  const servers = new Map<number, ChildProcess>();
  const start = async (port: number) => {
    const own = join(dir, String(port));
    mkdirSync(own, { recursive: true });
    const flags = ['--cluster-enabled', 'yes', '--cluster-config-file', join(own, 'nodes.conf')];
    // the masters up serve their slots while one is down, as operators set it for partial service
    flags.push('--cluster-require-full-coverage', 'no');
    // a master stopped by a test comes back before the others mark it failed (they would
    // then take up to twice this to clear the mark on its return)
    flags.push('--cluster-node-timeout', '60000');
    flags.push(
      ...(options.aof
        ? ['--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
    );
    flags.push('--enable-debug-command', 'local');
    servers.set(port, await launch(port, own, flags));
  };
  const all: number[] = [];
  for (let i = 0; i < masters * (1 + (options.replicas ?? 0)); i++) {
    const port = await clusterPort();
    await start(port);
    all.push(port);
  }
  const addresses = all.map((p) => `127.0.0.1:${p}`);
  const replicas = ['--cluster-replicas', String(options.replicas ?? 0)];
  await run('redis-cli', ['--cluster', 'create', ...addresses, ...replicas, '--cluster-yes']);

  const admin = (p: number) =>
    new Redis(p, { maxRetriesPerRequest: 1 }).on('error', () => undefined); // a stopped master's client waits for it
  const clients = new Map(all.map((p) => [p, admin(p)]));
  const allOk = () =>
    waitFor(
      async () => {
        const infos = await Promise.all([...clients.values()].map((c) => c.cluster('INFO')));
        return infos.every((info) => String(info).includes('cluster_state:ok'));
      },
      { timeoutMs: 30000, what: 'the cluster to be ok on every master' },
    );
  await allOk();
  // which nodes redis-cli made masters, once the replicas follow theirs and every node knows it
  // a replica counts once its link is up ('connected'): WAIT gets no answer from one still syncing
  const roleOf = async (p: number) => {
    const role = (await (clients.get(p) as Redis).role()) as unknown[];
    const linked = role[0] !== 'slave' || role[3] === 'connected';
    return [p, linked ? String(role[0]) : 'syncing'] as const;
  };
  const replicasWanted = masters * (options.replicas ?? 0);
  await waitFor(
    async () => {
      const roles = await Promise.all(all.map(roleOf));
      if (roles.filter(([, r]) => r === 'slave').length < replicasWanted) return false;
      const views = await Promise.all(all.map((p) => (clients.get(p) as Redis).cluster('NODES')));
      return views.every((v) => (String(v).match(/[ ,]slave /g) ?? []).length === replicasWanted);
    },
    { timeoutMs: 30000, what: 'the replicas to follow their masters' },
  );
  const roles = await Promise.all(all.map(roleOf));
  ports.push(...roles.filter(([, r]) => r === 'master').map(([p]) => p));
  const replicaPorts = roles.filter(([, r]) => r === 'slave').map(([p]) => p);
  const stop = async (port: number) => {
    const child = servers.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  const masterOf = async (slot: number): Promise<number> => {
    const alive = [...clients.values()].find((c) => c.status === 'ready') as Redis;
    const ranges = await alive.cluster('SLOTS');
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    const master = range?.[2];
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return Number(master[1]);
  };
  const startMove = async (slot: number, to: number): Promise<SlotMove> => {
    const from = await masterOf(slot);
    const [source, target] = [clients.get(from) as Redis, clients.get(to) as Redis];
    const [sourceId, targetId] = await Promise.all([
      source.cluster('MYID'),
      target.cluster('MYID'),
    ]);
    await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
    await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
    const keysLeft = () => source.cluster('GETKEYSINSLOT', slot, 1000) as Promise<string[]>;
    const moveKeys = async (keys: string[]) => {
      if (keys.length > 0) await source.migrate('127.0.0.1', to, '', 0, 5000, 'KEYS', ...keys);
    };
    return {
      keysLeft,
      moveKeys,
      async finish() {
        for (let keys = await keysLeft(); keys.length > 0; keys = await keysLeft())
          await moveKeys(keys);
        // the new master first, as redis-cli does: the old one then sends MOVED to a master
        // that takes the slot (not one still importing, which would send it back)
        for (const p of [to, from, ...ports.filter((q) => q !== to && q !== from)])
          await (clients.get(p) as Redis).cluster('SETSLOT', slot, 'NODE', targetId);
      },
    };
  };
  return {
    ports,
    replicaPorts,
    masterOf,
    async moveSlot(slot, to) {
      if ((await masterOf(slot)) === to) return;
      await (await startMove(slot, to)).finish();
    },
    startMove,
    async tryAgainRefusals() {
      const stats = await Promise.all(ports.map((p) => clients.get(p)!.info('errorstats')));
      return stats.reduce(
        (n, text) => n + Number(/errorstat_TRYAGAIN:count=(\d+)/.exec(text)?.[1] ?? 0),
        0,
      );
    },
    stop,
    async restart(port) {
      await start(port);
      await allOk();
    },
    urls: ports.map((p) => `redis://127.0.0.1:${p}`),
    async commandsServed() {
      const stats = await Promise.all(ports.map((p) => clients.get(p)!.info('commandstats')));
      return stats.map((text) =>
        [...text.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0),
      );
    },
    async destroy() {
      for (const c of clients.values()) c.disconnect();
      await Promise.all(all.map(stop));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A sharded store on `cluster` under a fresh prefix, found from one master, closed after the test. */
export function clusteredStore(cluster: TestCluster): ShardedStore {
  return track(
    new ShardedStore({ kind: 'cluster', nodes: [cluster.urls[0] as string] }, `jt-${randomUUID()}`),
    (s) => s.close(),
  );
}
