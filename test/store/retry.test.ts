/**
 * Retries in the store (SPEC §14): a failed try with tries left goes back
 * to QUEUED, published with its attempt, error and runAt, and is not
 * claimable before runAt; the tree fails only with the last try; an abort
 * during the wait ends the job at once; `on` limits the codes; a try lost
 * with its node is retried too, and a `*` job may go to another node.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { JobSpec } from '../../src/shared/types.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const fail = (code = 'EXIT') => ({ code, message: `failed with ${code}` });

async function setup(job: Partial<JobSpec>, defaults?: { retry: JobSpec['retry'] }) {
  const prefix = `jt-${randomUUID()}`;
  const store = makeStore(testRedisUrl(), prefix);
  const events = await collectEvents(store);
  const plan = await submit(store, {
    ...(defaults ? { defaults } : {}),
    job: { title: 'flaky', type: 'noop', ...job },
  });
  const raw = track(new Redis(testRedisUrl()), (r) => r.disconnect());
  return { store, events, root: plan.root, prefix, raw };
}

describe('store: retries (§14)', () => {
  it('queues a failed try again at once, and the tree succeeds with the next try', async () => {
    const { store, events, root } = await setup({ retry: { attempts: 3 } });
    const t = Date.now() + 1000; // claims after the submission: startedAt is the claim's time
    const [first] = await store.claimJobs('n1', 1, 'tok', t);
    expect(first).to.include({ attempt: 1, tries: 3 });
    const answer = await store.finishJob({
      root,
      id: root,
      token: 'tok',
      outcome: 'FAILED',
      at: t + 1000,
      error: fail(),
    });
    expect(answer.state).to.equal('QUEUED');
    expect(answer.retry).to.deep.equal({ attempt: 2, tries: 3, runAt: t + 1000 });
    const retried = await events.until((e) => e.job === root && e.prev === 'RUNNING');
    expect(retried).to.include({ state: 'QUEUED', attempt: 2, runAt: t + 1000 });
    expect(retried.error).to.deep.equal(fail());
    expect(events.events.some((e) => e.job === root && e.state === 'FAILED')).to.equal(false);
    const job = await store.getJob(root);
    expect(job).to.include({ state: 'QUEUED', attempt: 2 });
    expect(job.attempts).to.deep.equal([
      { startedAt: t, finishedAt: t + 1000, error: fail(), node: 'n1' },
    ]);
    const [second] = await store.claimJobs('n1', 1, 'tok2', t + 2000);
    expect(second).to.include({ id: root, attempt: 2, tries: 3 });
    await store.finishJob({ root, id: root, token: 'tok2', outcome: 'SUCCESS', at: t + 3000 });
    expect((await store.getTree(root)).state).to.equal('SUCCESS');
  });

  it('fails the tree with the last try, keeping every try', async () => {
    const { store, root } = await setup({}, { retry: { attempts: 2 } }); // a tree default
    const t = Date.now() + 1000;
    for (const [token, at] of [
      ['t1', t],
      ['t2', t + 1000],
    ] as const) {
      await store.claimJobs('n1', 1, token, at);
      await store.finishJob({ root, id: root, token, outcome: 'FAILED', at, error: fail() });
    }
    const job = await store.getJob(root);
    expect(job).to.include({ state: 'FAILED', attempt: 2 });
    expect(job.attempts).to.have.length(1);
    expect((await store.getTree(root)).state).to.equal('FAILED');
  });

  it('does not hand out a waiting retry before runAt, exponential delays capped', async () => {
    const backoff = { type: 'exponential' as const, delayMs: 100, maxDelayMs: 300 };
    const { store, root } = await setup({ retry: { attempts: 5, backoff } });
    let now = Date.now() + 1000;
    const runAts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [job] = await store.claimJobs('n1', 1, `t${i}`, now);
      expect(job?.attempt).to.equal(i + 1);
      const answer = await store.finishJob({
        root,
        id: root,
        token: `t${i}`,
        outcome: 'FAILED',
        at: now,
        error: fail(),
      });
      const runAt = answer.retry!.runAt;
      runAts.push(runAt - now);
      expect(await store.claimJobs('n1', 1, 'early', runAt - 1)).to.deep.equal([]);
      now = runAt;
    }
    expect(runAts).to.deep.equal([100, 200, 300, 300]); // 100·2^(try-1), capped at 300
    const [last] = await store.claimJobs('n1', 1, 'last', now);
    expect(last?.attempt).to.equal(5);
  });

  it('aborts a job waiting for its retry at once', async () => {
    const { store, root, prefix, raw } = await setup({
      retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 60_000 } },
    });
    await store.claimJobs('n1', 1, 'tok', Date.now());
    await store.finishJob({
      root,
      id: root,
      token: 'tok',
      outcome: 'FAILED',
      at: Date.now(),
      error: fail(),
    });
    expect(await raw.zcard(`${prefix}:delayed`)).to.equal(1);
    await store.abortJob(root, 'alice', Date.now());
    expect((await store.getJob(root)).state).to.equal('ABORTED');
    expect((await store.getTree(root)).state).to.equal('ABORTED');
    expect(await raw.zcard(`${prefix}:delayed`)).to.equal(0);
  });

  it("gives a failed try's pool slot back for the wait", async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    await store.pools.set('deploys', 1, undefined);
    const retry = { attempts: 2, backoff: { type: 'fixed' as const, delayMs: 60_000 } };
    const plan = await submit(store, { job: { title: 'p', type: 'noop', pool: 'deploys', retry } });
    const other = await submit(store, { job: { title: 'q', type: 'noop', pool: 'deploys' } });
    await store.claimJobs('n1', 1, 'tok', Date.now());
    expect((await store.pools.list())[0]).to.include({ used: 1 });
    await store.finishJob({
      root: plan.root,
      id: plan.root,
      token: 'tok',
      outcome: 'FAILED',
      at: Date.now(),
      error: fail(),
    });
    expect((await store.pools.list())[0]).to.include({ used: 0 });
    const [next] = await store.claimJobs('n1', 1, 'tok', Date.now());
    expect(next?.id).to.equal(other.root); // the waiting retry does not hold the slot
  });

  it('retries only the codes in `on`', async () => {
    const { store, root } = await setup({ retry: { attempts: 3, on: ['EXIT'] } });
    await store.claimJobs('n1', 1, 'tok', Date.now());
    const answer = await store.finishJob({
      root,
      id: root,
      token: 'tok',
      outcome: 'FAILED',
      at: Date.now(),
      error: fail('TIMEOUT'),
    });
    expect(answer.state).to.equal('FAILED');
    expect(answer.retry).to.equal(undefined);
  });

  it('retries a try lost with its node, a * job on whichever node claims it', async () => {
    const { store, root } = await setup({ node: '*', retry: { attempts: 2 } });
    await store.registerNode(nodeInfo('a'), 1); // its heartbeat expires at once
    const [job] = await store.claimJobs('a', 1, 'run-a', Date.now());
    expect(job?.id).to.equal(root);
    await waitFor(async () => (await store.nodeOwner('a')) === null, { what: "a's TTL" });
    expect(await store.reapNode('a', Date.now())).to.equal(1);
    const lost = await store.getJob(root);
    expect(lost).to.include({ state: 'QUEUED', node: '*', attempt: 2 });
    expect(lost.attempts?.[0]).to.deep.include({ node: 'a' });
    expect(lost.attempts?.[0]?.error.code).to.equal('NODE_LOST');
    const [again] = await store.claimJobs('b', 1, 'run-b', Date.now());
    expect(again).to.include({ id: root, attempt: 2 });
  });
});
