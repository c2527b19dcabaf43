/**
 * A transition Redis refuses is not an outage (issue 15): a job's end that
 * fails inside Redis (here a tree context key given the wrong type, so the
 * finish script's HSET answers WRONGTYPE) fails that job STORE_REJECTED,
 * goes to no journal, and the node goes on claiming other work. The one
 * detector of "Redis is unavailable" tells the passing refusals apart.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import type { JobType } from '../../src/node-agent/job-types/job-type.js';
import { guard, isUnavailable } from '../../src/store/redis-errors.js';
import { isRedisUnavailable, StoreRejectedError } from '../../src/shared/errors.js';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';

describe('agent: an end Redis refuses', () => {
  it('fails that job STORE_REJECTED, journals nothing, and goes on claiming', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const events = await collectEvents(store);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const writer: JobType = {
      name: 'ctx-writer',
      paramsSchema: { type: 'object' },
      run: async () => {
        await gate;
        return { context: { region: 'us' }, summary: 'wrote' };
      },
    };
    const agent = await makeAgent(store, { types: [writer] });
    const poisoned = await submit(store, {
      context: { region: 'eu' },
      job: { title: 'poisoned', type: 'ctx-writer' },
    });
    await events.until((e) => e.job === poisoned.root && e.state === 'RUNNING');
    const raw = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    const ctx = `${prefix}:{${poisoned.root}}:ctx`;
    await raw.del(ctx);
    await raw.set(ctx, 'not a hash'); // the finish script's HSET of the context now fails
    release();
    await events.until((e) => e.job === poisoned.root && e.state === 'FAILED');
    const job = await store.getJob(poisoned.root);
    expect(job.error?.code).to.equal('STORE_REJECTED');
    expect(job.error?.message).to.match(/WRONGTYPE/);
    expect(job.summary).to.equal(undefined); // the refused end's fields are not kept
    // the node claims and finishes other work, and nothing waits in a journal
    const next = await submit(store, { job: { title: 'next', type: 'noop' } });
    await events.until((e) => e.job === next.root && e.state === 'SUCCESS');
    const journal = join(agent.config.dataDir, 'journal.ndjson');
    expect(existsSync(journal) ? readFileSync(journal, 'utf8') : '').to.equal('');
  });

  it('tells a passing refusal (unavailable) from one that will not pass', async () => {
    const reply = (message: string) => new ReplyError(message) as Error;
    for (const m of [
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script.',
      "READONLY You can't write against a read only replica.",
      'MASTERDOWN Link with MASTER is down',
    ])
      expect(isUnavailable(reply(m)), m).to.equal(true);
    for (const m of [
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      "OOM command not allowed when used memory > 'maxmemory'.",
      'ERR user_script:12: attempt to index a nil value',
    ])
      expect(isUnavailable(reply(m)), m).to.equal(false);
    const passing = await guard(Promise.reject(reply('LOADING wait'))).catch((e: unknown) => e);
    expect(isRedisUnavailable(passing)).to.equal(true);
    const refused = await guard(Promise.reject(reply('WRONGTYPE no'))).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(StoreRejectedError);
    expect(isRedisUnavailable(refused)).to.equal(false);
  });
});
