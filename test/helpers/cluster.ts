/**
 * A real Redis Cluster for tests (SPEC §17): three masters from
 * redis-server --cluster-enabled yes on free ports, joined by
 * `redis-cli --cluster create` (each gets a third of the slots), each in
 * its own process.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { launch } from './redis.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface TestCluster {
  ports: number[];
  /** `redis://127.0.0.1:<port>` of each master. */
  urls: string[];
  /** Commands each master has served since its start (INFO commandstats). */
  commandsServed(): Promise<number[]>;
  destroy(): Promise<void>;
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

export async function startCluster(masters = 3): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-cluster-'));
  const ports: number[] = [];
  const servers: ChildProcess[] = [];
  for (let i = 0; i < masters; i++) {
    const port = await clusterPort();
    const flags = ['--cluster-enabled', 'yes', '--appendonly', 'no'];
    flags.push('--cluster-config-file', join(dir, `nodes-${port}.conf`));
    servers.push(await launch(port, dir, flags));
    ports.push(port);
  }
  const addresses = ports.map((p) => `127.0.0.1:${p}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes']);
  const clients = ports.map((p) => new Redis(p, { maxRetriesPerRequest: 1 }));
  await waitFor(
    async () => {
      const infos = await Promise.all(clients.map((c) => c.cluster('INFO')));
      return infos.every((info) => String(info).includes('cluster_state:ok'));
    },
    { timeoutMs: 20000, what: 'the cluster to be ok on every master' },
  );
  return {
    ports,
    urls: ports.map((p) => `redis://127.0.0.1:${p}`),
    async commandsServed() {
      const stats = await Promise.all(clients.map((c) => c.info('commandstats')));
      return stats.map((text) =>
        [...text.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0),
      );
    },
    async destroy() {
      for (const c of clients) c.disconnect();
      await Promise.all(
        servers.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
