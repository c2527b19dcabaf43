/**
 * Starts a private redis-server for tests on a free loopback port (never
 * the shared 6379) and stops it by pid. Files that stop or restart Redis
 * start their own with startRedis().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Starts the server again on the same port and data dir. */
  restart(): Promise<void>;
}

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts redis-server on `port`, resolved once it is ready; a sentinel
 * with its config file (which it rewrites) and `--sentinel` in `extra`.
 */
export function launch(
  port: number,
  dir: string,
  extra: string[],
  configFile?: string,
): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      ...(configFile ? [configFile] : []),
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...extra],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      // a sentinel says it watches its master; a server that it is ready
      if (/Ready to accept connections|\+monitor master/.test(out)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    child.once('error', reject);
  });
}

/** Spawns redis-server; `aof` keeps data across restart(), `extra` are more of its flags. */
export async function startRedis(
  options: { aof?: boolean; extra?: string[] } = {},
): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-redis-'));
  const extra = options.aof
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  extra.push(...(options.extra ?? []));
  const handle: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    process: await launch(port, dir, extra),
    async stop() {
      const p = handle.process;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = once(p, 'exit');
      p.kill('SIGTERM');
      await exited;
    },
    async restart() {
      await handle.stop();
      handle.process = await launch(port, dir, extra);
    },
  };
  return handle;
}

/** Stops the server and removes its data dir. */
export async function destroyRedis(r: TestRedis): Promise<void> {
  await r.stop();
  rmSync(r.dir, { recursive: true, force: true });
}
