/**
 * `jobtree agent`: runs the daemon in the foreground until SIGTERM/SIGINT,
 * then stops cleanly (SPEC §8).
 */
import { serveApi } from '../../api/serve.js';
import { pino, type Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { loadConfig } from '../../config/load.js';
import { Agent } from '../../daemon/agent.js';
import { resolveRedis } from '../../daemon/embedded-redis.js';
import { ConfigError } from '../../shared/errors.js';
import { ShardedStore } from '../../store/sharded-store.js';
import { describeTarget, type RedisPlace, type RedisTarget } from '../../store/redis-target.js';
import { checkSentinels } from '../../store/sentinel-check.js';

export interface AgentFlags {
  config?: string;
  node?: string;
  host?: string;
  port?: string;
  redis?: string;
  dataDir?: string;
  concurrency?: string;
}

/** Where the store's Redis is: the sentinels' master (SPEC §17), or a URL, probed or embedded (§8). */
async function redisPlace(config: Config, logger: Logger): Promise<RedisPlace> {
  const { sentinels, name } = config.redis;
  if (sentinels === null || name === null) {
    return (await resolveRedis(config.redis.url, config.redis.embedded, config.dataDir, logger))
      .url;
  }
  const target: RedisTarget = { kind: 'sentinel', sentinels, name };
  if (!(await checkSentinels(target)))
    logger.warn({ redis: describeTarget(target) }, 'no sentinel answers yet');
  return target;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Runs the agent; resolves with the process exit code once it has stopped. */
export async function runAgent(flags: AgentFlags, env: NodeJS.ProcessEnv): Promise<number> {
  // the same sources at start and at every SIGHUP (the environment is the process's own)
  const load = (): Config => {
    const loaded = loadConfig({
      ...(flags.config !== undefined ? { file: flags.config } : {}),
      env,
      flags: {
        node: flags.node,
        host: flags.host,
        port: flags.port,
        'redis.url': flags.redis,
        dataDir: flags.dataDir,
        concurrency: flags.concurrency,
      },
    });
    if (!LOOPBACK.test(loaded.host) && loaded.auth.token === null) {
      throw new ConfigError(
        'auth.token',
        `listening on ${loaded.host} (not loopback) needs a token (JOBTREE_TOKEN)`,
      );
    }
    // SPEC §16: off loopback, tokens cross the network: TLS, unless the operator says otherwise
    if (!LOOPBACK.test(loaded.host) && loaded.tls.cert === null && !loaded.auth.allowPlainHttp) {
      throw new ConfigError(
        'tls.cert',
        `listening on ${loaded.host} (not loopback) needs TLS (tls.cert, tls.key), or auth.allowPlainHttp: true`,
      );
    }
    return loaded;
  };
  const config = load();
  const plain = !LOOPBACK.test(config.host) && config.tls.cert === null;
  // The level lives here, so that a reload changes it for every child logger at once
  // (pino's children copy their parent's level when they are made).
  const gate = { level: config.log.level };
  const logger = pino({
    level: 'trace',
    base: { node: config.node },
    hooks: {
      logMethod(args, method, level) {
        if (level >= (pino.levels.values[gate.level] ?? Infinity)) method.apply(this, args);
      },
    },
  });
  // Handlers first: a signal that arrives while the agent starts stops it once started.
  // SIGTERM/SIGINT stop it gracefully; a second one, or SIGQUIT, aborts its jobs at once.
  const running: { agent?: Agent } = {};
  let asked = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!asked && signal !== 'SIGQUIT') {
        logger.info({ signal }, 'signal received: stopping, running jobs may finish');
      } else {
        logger.warn({ signal }, 'signal received: aborting running jobs now');
        running.agent?.abortRunning();
      }
      asked = true;
      resolve();
    };
    for (const s of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(s, onSignal);
  });
  // SIGHUP (systemctl reload): a new config is validated whole before a part of it is used
  process.on('SIGHUP', () => {
    let next: Config;
    try {
      next = load();
    } catch (err) {
      logger.error(
        { err: (err as Error).message },
        'config reload refused; the running config stays',
      );
      return;
    }
    gate.level = next.log.level;
    void running.agent?.reload(next).then(
      (restart) =>
        logger.info(
          restart.length > 0 ? { needRestart: restart } : {},
          restart.length > 0 ? 'config reloaded; these keys need a restart' : 'config reloaded',
        ),
      (err: unknown) => logger.error({ err }, 'config reload failed'),
    );
  });
  if (plain)
    logger.warn(
      { host: config.host },
      'serving plain HTTP on a non-loopback address (auth.allowPlainHttp): tokens cross the network in clear',
    );
  const { cluster, prefix } = config.redis;
  // one store for every Redis; on a Redis Cluster the trees spread over shards (SPEC §17)
  const place = cluster !== null ? { kind: 'cluster' as const, nodes: cluster } : null;
  const store = new ShardedStore(place ?? (await redisPlace(config, logger)), prefix);
  const started = new Agent({ config, store, logger, api: serveApi, env });
  running.agent = started;
  const starting = started.start();
  // a signal during the start ends a wait for Redis; a start past it finishes first
  const signalled = stopped.then(() => started.abortStart());
  try {
    await starting;
  } catch (err) {
    await started.stop();
    await store.close();
    if (asked) return 0; // stopped before it had started: nothing to undo
    throw err;
  }
  await signalled;
  await started.stop();
  await store.close();
  return 0;
}
