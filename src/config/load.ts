/**
 * Builds the agent's Config: config/default.json, then a JSON file, then
 * JOBTREE_* environment, then flags (flags win), validated and deeply
 * frozen (SPEC §8). The only reader of process.env is the caller, which
 * passes `env` in; nothing here runs at import time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { ConfigError } from '../shared/errors.js';
import { describeAjvError } from '../jobtree/validate.js';
import type { Config } from './config.js';
import { configSchema } from './schema.js';
import { parseHostPort, type SentinelAddress } from '../shared/host-port.js';

type Tree = Record<string, unknown>;

/** Environment variables and the config keys they set. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  JOBTREE_NODE: 'node',
  JOBTREE_HOST: 'host',
  JOBTREE_PORT: 'port',
  JOBTREE_URL: 'url',
  JOBTREE_DATA_DIR: 'dataDir',
  JOBTREE_CONCURRENCY: 'concurrency',
  JOBTREE_REDIS_URL: 'redis.url',
  JOBTREE_REDIS_PREFIX: 'redis.prefix',
  JOBTREE_REDIS_EMBEDDED: 'redis.embedded',
  JOBTREE_REDIS_SENTINELS: 'redis.sentinels',
  JOBTREE_REDIS_NAME: 'redis.name',
  JOBTREE_REDIS_CLUSTER: 'redis.cluster',
  JOBTREE_HEARTBEAT_INTERVAL_MS: 'heartbeat.intervalMs',
  JOBTREE_HEARTBEAT_TTL_MS: 'heartbeat.ttlMs',
  JOBTREE_CLAIM_POLL_MS: 'claim.pollMs',
  JOBTREE_BACKLOG_MAX_QUEUED: 'backlog.maxQueued',
  JOBTREE_SHUTDOWN_GRACE_MS: 'shutdown.graceMs',
  JOBTREE_SHUTDOWN_MODE: 'shutdown.mode',
  JOBTREE_RETENTION_MAX_AGE_MS: 'retention.maxAgeMs',
  JOBTREE_RETENTION_SWEEP_INTERVAL_MS: 'retention.sweepIntervalMs',
  JOBTREE_SHELL_ENABLED: 'shell.enabled',
  JOBTREE_SHELL_KILL_GRACE_MS: 'shell.killGraceMs',
  JOBTREE_JOB_TYPES_DIRS: 'jobTypes.dirs',
  JOBTREE_JOB_TYPES_ACCEPT_REGISTERED: 'jobTypes.acceptRegistered',
  JOBTREE_JOB_TYPES_MAX_HEAP_MB: 'jobTypes.maxHeapMb',
  JOBTREE_DEFINITIONS_DIRS: 'definitions.dirs',
  JOBTREE_TOKEN: 'auth.token',
  JOBTREE_RUN_TOKEN: 'auth.runToken',
  JOBTREE_READ_TOKEN: 'auth.readToken',
  JOBTREE_ALLOWED_HOSTS: 'auth.allowedHosts',
  JOBTREE_ALLOW_PLAIN_HTTP: 'auth.allowPlainHttp',
  JOBTREE_TLS_CERT: 'tls.cert',
  JOBTREE_TLS_KEY: 'tls.key',
  JOBTREE_TLS_CA: 'tls.ca',
  JOBTREE_LIMITS_SUBSCRIPTIONS_PER_SOCKET: 'limits.subscriptionsPerSocket',
  JOBTREE_LIMITS_SOCKETS_PER_CLIENT: 'limits.socketsPerClient',
  JOBTREE_LIMITS_BIG_READS: 'limits.bigReads',
  JOBTREE_LOGS_SEARCH_BUDGET_MS: 'logs.searchBudgetMs',
  JOBTREE_LOGS_ARCHIVE_ENABLED: 'logs.archive.enabled',
  JOBTREE_LOGS_ARCHIVE_MAX_BYTES: 'logs.archive.maxBytes',
  JOBTREE_LOGS_TAIL_HOLD_MS: 'logs.tail.holdMs',
  JOBTREE_LOG_LEVEL: 'log.level',
};

const DEFAULTS_PATH = new URL('../../config/default.json', import.meta.url);

function readJson(path: string | URL, key: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `cannot read ${String(path)}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Tree;
  } catch (err) {
    throw new ConfigError(key, `${String(path)} is not JSON: ${(err as Error).message}`);
  }
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = tree;
  for (const p of parts.slice(0, -1)) {
    if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Tree;
  }
  at[parts[parts.length - 1] as string] = value;
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      b &&
      typeof b === 'object' &&
      !Array.isArray(b)
        ? merge(b as Tree, v as Tree)
        : v;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The config layers of `--config PATH` (SPEC §16): the file, or each
 * `*.json` of the directory in name order, later ones over earlier ones.
 */
function readLayers(path: string): Array<{ source: string; tree: Tree }> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as Error).message}`);
  }
  if (!isDir) return [{ source: path, tree: readJson(path, '--config') }];
  return readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(path, f);
      return { source: file, tree: readJson(file, file) };
    });
}

/** True when `tree` sets the dotted `path` (or an object above it). */
function sets(tree: Tree, path: string): boolean {
  let at: unknown = tree;
  for (const part of path.split('.')) {
    if (!at || typeof at !== 'object' || !(part in (at as Tree))) return false;
    at = (at as Tree)[part];
  }
  return true;
}

interface RedisSection {
  url: string | null;
  cluster: string[] | null;
  sentinels: Array<string | SentinelAddress> | null;
  name: string | null;
}

/**
 * One place for Redis (SPEC §17): a URL, sentinels with the master's name
 * (host:port read), or a cluster.
 */
function checkRedisPlace(redis: RedisSection): void {
  if (redis.cluster !== null && (redis.url !== null || redis.sentinels !== null))
    throw new ConfigError('redis.cluster', 'redis.cluster excludes redis.url and redis.sentinels');
  if (redis.sentinels === null) {
    if (redis.name !== null)
      throw new ConfigError(
        'redis.name',
        'is the master name of redis.sentinels, which are not set',
      );
    return;
  }
  if (redis.url !== null)
    throw new ConfigError('redis.sentinels', 'redis.url and redis.sentinels exclude each other');
  if (redis.name === null)
    throw new ConfigError('redis.name', 'redis.sentinels need the name of the master they watch');
  redis.sentinels = redis.sentinels.map((s, i) => {
    if (typeof s !== 'string') return s;
    const address = parseHostPort(s);
    if (!address) throw new ConfigError(`redis.sentinels[${i}]`, 'must be host:port');
    return address;
  });
}

/** SPEC §18: the run and read tokens need the admin token, and no two roles share one. */
function checkTokens(auth: Record<'token' | 'runToken' | 'readToken', string | null>): void {
  for (const key of ['runToken', 'readToken'] as const) {
    if (auth[key] === null) continue;
    if (auth.token === null)
      throw new ConfigError(
        `auth.${key}`,
        'needs auth.token: without one, anybody may do anything',
      );
    if (auth[key] === auth.token)
      throw new ConfigError(`auth.${key}`, 'must differ from auth.token');
  }
  if (auth.runToken !== null && auth.runToken === auth.readToken)
    throw new ConfigError('auth.readToken', 'must differ from auth.runToken');
}

export interface LoadOptions {
  /** A JSON file, or a directory whose `*.json` are merged in name order. */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Flag values by config key (`redis.url`); undefined ones are ignored. */
  flags?: Record<string, unknown>;
}

/** Loads, merges, validates and freezes the configuration; a bad value names its key. */
export function loadConfig(options: LoadOptions = {}): Config {
  let tree = readJson(DEFAULTS_PATH, 'default.json');
  const layers = options.file ? readLayers(options.file) : [];
  for (const l of layers) tree = merge(tree, l.tree);
  const layer: Tree = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = options.env?.[name];
    if (v === undefined || v === '') continue;
    // a list of directories from the environment is separated by the platform's path
    // delimiter, as PATH is; the sentinels (host:port) and cluster URLs by commas
    const isList = key === 'jobTypes.dirs' || key === 'definitions.dirs';
    const commaList = ['redis.sentinels', 'redis.cluster', 'auth.allowedHosts'].includes(key);
    const split = commaList ? ',' : isList ? delimiter : null;
    const value = split && v !== 'null' ? v.split(split).filter(Boolean) : v;
    setPath(layer, key, v === 'null' ? null : value);
  }
  for (const [key, v] of Object.entries(options.flags ?? {}))
    if (v !== undefined) setPath(layer, key, v);
  tree = merge(tree, layer);
  const ajv = new Ajv({ coerceTypes: true, allErrors: false });
  const check = ajv.compile(configSchema);
  if (!check(tree)) {
    const e = check.errors?.[0];
    const { path, problem } = e ? describeAjvError(e) : { path: '', problem: 'invalid' };
    // name the file that set the bad key, when a file did (the last one to set it wins)
    const from = [...layers].reverse().find((l) => path && sets(l.tree, path))?.source;
    const what = problem === 'unknown field' ? 'unknown key' : problem;
    throw new ConfigError(path || '(root)', from ? `${what} (in ${from})` : what);
  }
  checkTokens(tree.auth as Record<'token' | 'runToken' | 'readToken', string | null>);
  const tls = tree.tls as { cert: string | null; key: string | null; ca: string | null };
  if ((tls.cert === null) !== (tls.key === null))
    throw new ConfigError(
      tls.cert === null ? 'tls.cert' : 'tls.key',
      'tls.cert and tls.key go together',
    );
  for (const k of ['cert', 'key', 'ca'] as const)
    if (tls[k] !== null) tls[k] = resolve(tls[k] as string);
  checkRedisPlace(tree.redis as RedisSection);
  tree.node ??=
    hostname()
      .split('.')[0]
      ?.replace(/[^A-Za-z0-9_.-]/g, '-') || 'node';
  tree.concurrency ??= cpus().length;
  tree.dataDir = resolve(tree.dataDir as string);
  const jobTypes = tree.jobTypes as { dirs: string[] | null };
  const definitions = tree.definitions as { dirs: string[] };
  definitions.dirs = definitions.dirs.map((d) => resolve(d));
  jobTypes.dirs = (jobTypes.dirs ?? [resolve(tree.dataDir as string, 'job-types')]).map((d) =>
    resolve(d),
  );
  return deepFreeze(tree as unknown as Config);
}
