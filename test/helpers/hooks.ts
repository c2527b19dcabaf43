/**
 * Mocha root hooks: one private redis-server for the whole run, and the
 * leak check after every test (graphile's _allWorkerPools).
 */
import { destroyRedis, startRedis, type TestRedis } from './redis.js';
import { closeTracked } from './track.js';

let shared: TestRedis | undefined;

/** The URL of the run's shared test Redis (started by the root hook). */
export function testRedisUrl(): string {
  if (!shared) throw new Error('test redis is not started');
  return shared.url;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(20000);
    shared = await startRedis();
  },
  async afterEach(this: Mocha.Context): Promise<void> {
    this.timeout(30000);
    await closeTracked();
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    if (shared) await destroyRedis(shared);
  },
};
