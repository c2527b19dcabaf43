/**
 * SPEC §17, bad input: a master name that no sentinel knows is a mistake in
 * the config, not an outage, so the agent refuses to start instead of
 * waiting for ever. Sentinels that do not answer at all are an outage: the
 * agent then waits for them as for any Redis (wait-for-redis.ts).
 */
import { Redis } from 'ioredis';
import { ConfigError } from '../shared/errors.js';
import type { SentinelAddress } from '../shared/host-port.js';
import type { RedisTarget } from './redis-target.js';

type SentinelTarget = Extract<RedisTarget, { kind: 'sentinel' }>;

/** What one sentinel says of the master `name`: its address, null (unknown), or undefined (no answer). */
async function ask(s: SentinelAddress, name: string): Promise<string[] | null | undefined> {
  const client = new Redis({
    host: s.host,
    port: s.port,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // the answer (or its absence) is what counts
  try {
    await client.connect();
    return (await client.call('SENTINEL', 'get-master-addr-by-name', name)) as string[] | null;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * Asks every sentinel of `target` for its master. Resolves true when one
 * knows it, false when none answered; throws a ConfigError naming
 * `redis.name` when those that answered all say they do not know it.
 */
export async function checkSentinels(target: SentinelTarget): Promise<boolean> {
  const answers = await Promise.all(target.sentinels.map((s) => ask(s, target.name)));
  if (answers.some((a) => Array.isArray(a))) return true;
  const answered = target.sentinels.filter((_, i) => answers[i] === null);
  if (answered.length === 0) return false;
  throw new ConfigError(
    'redis.name',
    `no sentinel knows a master named "${target.name}" (asked ${answered
      .map((s) => `${s.host}:${s.port}`)
      .join(', ')})`,
  );
}
