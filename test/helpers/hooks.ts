/**
 * Mocha root hooks: one private redis-server for the whole run, and the
 * leak check after every test (graphile's _allWorkerPools).
 */
import { leakBaseline, leaksOfTest } from './leaks.js';
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
  beforeEach(): void {
    leakBaseline();
  },
  async afterEach(this: Mocha.Context): Promise<void> {
    this.timeout(30000);
    await closeTracked();
    const leaks = await leaksOfTest();
    // fails the test that leaked (the hook's error is the test's), the rest go on
    if (leaks.length > 0 && process.env.JOBTREE_LEAKS !== 'report') {
      (this.test as Mocha.Hook).error(new Error(`the test leaked: ${leaks.join('; ')}`));
    } else if (leaks.length > 0) {
      console.warn(`LEAK ${this.currentTest?.fullTitle()}: ${leaks.join('; ')}`);
    }
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    if (shared) await destroyRedis(shared);
  },
};
