/**
 * The agent's first step: wait for Redis, however long it takes. An agent
 * restarted during an outage must still come up and replay its journal
 * (SPEC §9); it says once that it is waiting. A stop asked meanwhile
 * (`signal`) ends the wait: the agent then exits without having started.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isRedisUnavailable } from '../shared/errors.js';
import type { HealthPort } from '../store/store.js';

/** Waits for Redis at start (an agent restarted during an outage must still come up and replay). */
export async function waitForRedis(
  store: HealthPort,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      await store.ping();
      return;
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err;
      if (attempt === 0) log.warn('waiting for Redis');
      await sleep(Math.min(100 * 2 ** attempt, 1000), undefined, signal ? { signal } : {});
    }
  }
}
