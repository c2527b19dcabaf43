/**
 * Agents for tests: in-process (makeAgent) for the node-agent and API
 * tests, and real `bin/jobtree agent` processes (spawnAgent) for the
 * multi-node tests. Both are tracked and stopped after the test.
 */
import { getFromPeer } from '../../src/api/peer-request.js';
import { serveApi } from '../../src/api/serve.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { Agent } from '../../src/daemon/agent.js';
import type { JobType } from '../../src/node-agent/job-types/job-type.js';
import type { Store } from '../../src/store/store.js';
import { freePort } from './redis.js';
import { track } from './track.js';
import { waitFor } from './wait.js';

export const BIN = fileURLToPath(new URL('../../bin/jobtree.js', import.meta.url));

export function tempDir(prefix = 'jobtree-test-'): string {
  return track(mkdtempSync(join(tmpdir(), prefix)), (d) =>
    rmSync(d, { recursive: true, force: true }),
  );
}

/** An in-process agent on the store's Redis and prefix; started, stopped after the test. */
export async function makeAgent(
  store: Store,
  options: {
    node?: string;
    concurrency?: number;
    env?: Record<string, string>;
    types?: JobType[];
  } = {},
): Promise<Agent> {
  const config = loadConfig({
    env: {
      JOBTREE_NODE: options.node ?? 'n1',
      JOBTREE_PORT: '0',
      JOBTREE_DATA_DIR: tempDir(),
      JOBTREE_CONCURRENCY: String(options.concurrency ?? 4),
      JOBTREE_CLAIM_POLL_MS: '200',
      JOBTREE_HEARTBEAT_INTERVAL_MS: '200',
      JOBTREE_SHUTDOWN_GRACE_MS: '2000',
      JOBTREE_SHELL_KILL_GRACE_MS: '1000',
      ...options.env,
    },
  });
  const agent = new Agent({
    api: serveApi,
    env: process.env,
    config,
    store,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  for (const t of options.types ?? []) agent.types.register(t);
  track(agent, (a) => a.stop());
  await agent.start();
  return agent;
}

export interface AgentProcess {
  node: string;
  url: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Spawns `bin/jobtree agent` and waits until its API answers. */
export async function spawnAgent(options: {
  node: string;
  /** `--redis`; left out for an agent whose env names sentinels (JOBTREE_REDIS_SENTINELS). */
  redisUrl?: string;
  prefix: string;
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
  /** Wait until the API answers (default); false for an agent that waits for Redis. */
  waitReady?: boolean;
  /** More arguments of `jobtree agent` (`--config DIR`). */
  args?: string[];
  /** The agent serves HTTPS with a certificate this CA signed: ask its health that way. */
  tlsCa?: Buffer;
  /** Run the agent as this user (the test runs as root). */
  uid?: number;
}): Promise<AgentProcess> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? tempDir();
  let out = '';
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--node',
      options.node,
      '--port',
      String(port),
      ...(options.redisUrl !== undefined ? ['--redis', options.redisUrl] : []),
      '--data-dir',
      dataDir,
      ...(options.args ?? []),
    ],
    {
      env: {
        ...process.env,
        JOBTREE_REDIS_PREFIX: options.prefix,
        JOBTREE_HEARTBEAT_INTERVAL_MS: '200',
        JOBTREE_CLAIM_POLL_MS: '200',
        JOBTREE_SHUTDOWN_GRACE_MS: '2000',
        JOBTREE_LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    },
  );
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const proc: AgentProcess = {
    node: options.node,
    url: `${options.tlsCa ? 'https' : 'http'}://127.0.0.1:${port}`,
    dataDir,
    child,
    output: () => out,
    async stop() {
      if (exited()) return child.exitCode;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await done) as [number | null];
      return code;
    },
    async kill9() {
      if (exited()) return;
      const done = once(child, 'exit');
      child.kill('SIGKILL');
      await done;
    },
  };
  track(proc, (p) => p.kill9());
  if (options.waitReady === false) return proc;
  // an agent that refuses to start exits at once: say so then, not at the timeout
  let stopWaiting = (): void => undefined;
  const exitedEarly = new Promise<never>((_, reject) => {
    const onExit = (): void => reject(new Error(`agent ${options.node} exited: ${out}`));
    child.once('exit', onExit);
    stopWaiting = () => child.off('exit', onExit);
  });
  exitedEarly.catch(() => undefined);
  const ready = waitFor(
    async () => {
      if (options.tlsCa) {
        const res = await getFromPeer(`${proc.url}/api/v1/health`, {}, options.tlsCa).catch(
          () => null,
        );
        res?.resume();
        return res?.statusCode === 200;
      }
      const res = await fetch(`${proc.url}/api/v1/health`).catch(() => null);
      return res?.ok;
    },
    { timeoutMs: 15000, what: `agent ${options.node} to answer` },
  );
  ready.catch(() => undefined); // lost the race to an exit: its timeout is no news
  try {
    await Promise.race([ready, exitedEarly]);
  } finally {
    stopWaiting();
  }
  return proc;
}

/** Runs the CLI to completion; resolves with its exit code and output. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.input ?? '');
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
