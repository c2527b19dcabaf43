/**
 * The embedded Redis default of SPEC §8: with no Redis configured and none
 * answering on 127.0.0.1:6379, start a private redis-server on loopback
 * with its data (AOF) under the data dir; reuse it if a previous run left
 * it running. With no redis-server on PATH, say how to get one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { ConfigError } from '../shared/errors.js';

/** True when a Redis answers PING at host:port within `timeoutMs`. */
export function redisAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) =>
      done(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH')),
    );
  });
}

function findOnPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address ? address.port : 0;
}

export interface ResolvedRedis {
  url: string;
  embedded: boolean;
}

/** Picks the Redis URL for the agent, starting the embedded server when SPEC §8 says so. */
export async function resolveRedis(
  configured: string | null,
  embeddedAllowed: boolean,
  dataDir: string,
  logger: Logger,
  probe: { port: number; path?: string } = { port: 6379 },
): Promise<ResolvedRedis> {
  if (configured) return { url: configured, embedded: false };
  if (await redisAnswers('127.0.0.1', probe.port)) {
    return { url: `redis://127.0.0.1:${probe.port}`, embedded: false };
  }
  if (!embeddedAllowed) {
    throw new ConfigError(
      'redis.url',
      `no Redis answers on 127.0.0.1:${probe.port}; set --redis URL (JOBTREE_REDIS_URL)`,
    );
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const portFile = join(dir, 'port');
  if (existsSync(portFile)) {
    const port = Number(readFileSync(portFile, 'utf8'));
    if (port > 0 && (await redisAnswers('127.0.0.1', port))) {
      logger.info({ port }, 'reusing the embedded redis-server of a previous run');
      return { url: `redis://127.0.0.1:${port}`, embedded: true };
    }
  }
  const binary = findOnPath('redis-server', probe.path);
  if (!binary) {
    throw new ConfigError(
      'redis.url',
      `no Redis answers on 127.0.0.1:${probe.port} and there is no redis-server on PATH to start one. ` +
        'Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) ' +
        'or point jobtree at a Redis with --redis redis://host:6379',
    );
  }
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--daemonize',
      'yes',
      '--pidfile',
      join(dir, 'redis.pid'),
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  await once(child, 'exit');
  for (let i = 0; i < 100 && !(await redisAnswers('127.0.0.1', port)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  writeFileSync(portFile, String(port));
  logger.info({ port, dir }, 'started an embedded redis-server');
  return { url: `redis://127.0.0.1:${port}`, embedded: true };
}
