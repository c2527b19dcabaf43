/**
 * Creates ioredis clients with jobtree's outage behaviour chosen on purpose
 * (NOTES: the defaults wait tens of seconds): commands fail after a couple
 * of reconnect attempts, reconnects go on forever with a capped backoff.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { defineScripts } from './load-scripts.js';
import type { ScriptClient } from './script-client.js';

/**
 * The longest a client waits between two reconnect attempts. A node whose
 * Redis came back may stay away this long before it tries again, so the
 * reaper (housekeeper.ts) adds it to the TTL it grants after an outage.
 */
export const MAX_RECONNECT_DELAY_MS = 2000;

export function createRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), MAX_RECONNECT_DELAY_MS),
    lazyConnect: false,
    ...extra,
  });
}

/** A client with every Lua script defined as a command. */
export function createScriptClient(url: string): ScriptClient {
  const client = createRedis(url);
  defineScripts(client);
  return client as ScriptClient;
}
