/**
 * The embedded Redis default of SPEC §8: with no Redis configured and none
 * answering on 127.0.0.1:6379, start a private redis-server on loopback
 * with its data (AOF) under the data dir; reuse it if a previous run left
 * it running. With no redis-server on PATH, say how to get one. SPEC §18:
 * it needs a password, generated once and kept, with its config, in a
 * 0700 directory (0600 files), so that no other user of the machine, and
 * no web page, reaches the cluster's data through loopback.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { ConfigError } from '../shared/errors.js';
import { readOrMakeSecret } from './secret-file.js';

/** Sends one inline command to the Redis at host:port; resolves with its first reply line, or null. */
function ask(host: string, port: number, command: string, timeoutMs = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reply: string | null): void => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (d) => done(d.toString().split('\r\n')[0] ?? ''));
  });
}

/** True when a Redis answers PING at host:port within `timeoutMs` (with or without a password). */
export async function redisAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  const reply = await ask(host, port, 'PING', timeoutMs);
  return reply !== null && (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
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
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // one an older version made open
  const password = readOrMakeSecret(join(dir, 'password'));
  const url = (port: number): string => `redis://:${password}@127.0.0.1:${port}`;
  const portFile = join(dir, 'port');
  if (existsSync(portFile)) {
    const port = Number(readFileSync(portFile, 'utf8'));
    if (port > 0 && (await redisAnswers('127.0.0.1', port))) {
      // one started by an older version runs without a password: it gets one now
      if ((await ask('127.0.0.1', port, 'PING'))?.startsWith('+PONG'))
        await ask('127.0.0.1', port, `CONFIG SET requirepass ${password}`);
      logger.info({ port }, 'reusing the embedded redis-server of a previous run');
      return { url: url(port), embedded: true };
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
  // the password goes in a 0600 file, never on the command line (which every user may read)
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, `requirepass ${password}\n`, { mode: 0o600 });
  const child = spawn(
    binary,
    [
      conf,
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
  writeFileSync(portFile, String(port), { mode: 0o600 });
  logger.info({ port, dir }, 'started an embedded redis-server');
  return { url: url(port), embedded: true };
}
