/**
 * The agent runs trees (SPEC §4 rules 1–2, 6; §5): leaf-first, parallel up
 * to its concurrency, with results by key, context and summary in ctx.
 */
import { expect } from 'chai';
import type { JobType } from '../../src/node-agent/job-types/job-type.js';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { makeStore, submit } from '../helpers/store.js';

describe('agent: running trees', () => {
  it("emits job:end for every job it ran, with the state Redis stored, the root's last", async () => {
    const store = makeStore();
    const agent = await makeAgent(store, { concurrency: 2 });
    const ends: Array<{ id: string; parent: string | null; state: string }> = [];
    const rootEnded = new Promise<void>((resolve) =>
      agent.on('job:end', (e) => {
        ends.push({ id: e.id, parent: e.parent, state: e.state });
        if (e.parent === null) resolve();
      }),
    );
    const plan = await submit(store, {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          { title: 'ok', type: 'noop' },
          { title: 'late', type: 'noop' },
        ],
      },
    });
    await rootEnded;
    expect(ends.map((e) => e.state)).to.deep.equal(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(ends.at(-1)).to.deep.equal({ id: plan.root, parent: null, state: 'SUCCESS' });
    expect(new Set(ends.slice(0, 2).map((e) => e.parent))).to.deep.equal(new Set([plan.root]));
  });

  it('reaches work queued behind thousands of stale entries at once, not at its next poll', async () => {
    const store = makeStore();
    const children = Array.from({ length: 2500 }, (_, i) => ({ title: `j${i}`, type: 'noop' }));
    const stale = await submit(store, { job: { title: 'r', type: 'noop', children } }, 'x');
    await store.abortJob(stale.root, 'test', Date.now());
    const fresh = await submit(store, { job: { title: 'behind them', type: 'noop' } }, 'x');
    const events = await collectEvents(store);
    // polls are ten minutes apart: only the claim's own wakes can bring it to the fresh job
    await makeAgent(store, { node: 'x', env: { JOBTREE_CLAIM_POLL_MS: '600000' } });
    await events.until((e) => e.job === fresh.root && e.state === 'SUCCESS');
    expect(await store.queueDepth('x')).to.equal(0);
  });

  it('starts every parent only after all its children succeeded (§4.1, §4.2)', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    await makeAgent(store, { concurrency: 4 });
    const plan = await submit(store, {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          {
            title: 'a',
            type: 'sleep',
            params: { ms: 150 },
            children: [{ title: 'a1', type: 'sleep', params: { ms: 50 } }],
          },
          {
            title: 'b',
            type: 'noop',
            children: [
              { title: 'b1', type: 'noop' },
              { title: 'b2', type: 'sleep', params: { ms: 30 } },
            ],
          },
        ],
      },
    });
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    const mine = log.events.filter((e) => e.root === plan.root);
    const at = (id: string, state: string) =>
      mine.find((e) => e.job === id && e.state === state)!.seq;
    for (const job of plan.jobs) {
      for (const child of job.children)
        expect(at(child, 'SUCCESS')).to.be.below(at(job.id, 'RUNNING'));
    }
    // b finished while a was still sleeping: queued on its own last child, not by level
    const b = plan.jobs.find((j) => j.title === 'b')!;
    const a = plan.jobs.find((j) => j.title === 'a')!;
    expect(at(b.id, 'SUCCESS')).to.be.below(at(a.id, 'SUCCESS'));
    expect((await store.getTree(plan.root)).state).to.equal('SUCCESS');
  });

  it('runs independent jobs in parallel, never more than its concurrency (§4.2)', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    await makeAgent(store, { concurrency: 3 });
    const children = Array.from({ length: 9 }, (_, i) => ({
      title: `s${i}`,
      type: 'sleep',
      params: { ms: 150 },
    }));
    const plan = await submit(store, { job: { title: 'r', type: 'noop', children } });
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    let running = 0;
    let peak = 0;
    for (const e of log.events.filter((x) => x.root === plan.root)) {
      if (e.state === 'RUNNING') running += 1;
      if (e.prev === 'RUNNING') running -= 1;
      peak = Math.max(peak, running);
    }
    expect(peak).to.equal(3);
  });

  it('gives run() children results by key and id, the tree context, and keeps result and summary (§5)', async () => {
    const store = makeStore();
    const seen: unknown[] = [];
    const produce: JobType<{ v: number }> = {
      name: 'produce',
      paramsSchema: { type: 'object', properties: { v: { type: 'integer' } } },
      async run(ctx) {
        return { result: { v: ctx.params.v }, context: { [`k${ctx.params.v}`]: ctx.params.v } };
      },
    };
    const consume: JobType = {
      name: 'consume',
      paramsSchema: { type: 'object' },
      async run(ctx) {
        seen.push(ctx.results, ctx.context, ctx.tags);
        return { result: 'ok', summary: 'consumed 2 results' };
      },
    };
    await makeAgent(store, { types: [produce as unknown as JobType, consume] });
    const log = await collectEvents(store);
    const plan = await submit(store, {
      tags: { app: 'x' },
      context: { base: true },
      job: {
        title: 'c',
        type: 'consume',
        children: [
          { title: 'p1', type: 'produce', key: 'first', params: { v: 1 } },
          { title: 'p2', type: 'produce', params: { v: 2 } },
        ],
      },
    });
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    const p2 = plan.jobs.find((j) => j.title === 'p2')!;
    const p1 = plan.jobs.find((j) => j.title === 'p1')!;
    expect(seen[0]).to.deep.equal({
      byKey: { first: { v: 1 } },
      byId: { [p1.id]: { v: 1 }, [p2.id]: { v: 2 } },
    });
    expect(seen[1]).to.deep.equal({ base: true, k1: 1, k2: 2 });
    expect(seen[2]).to.deep.equal({ app: 'x' });
    const root = await store.getJob(plan.root);
    expect(root).to.include({ result: 'ok', summary: 'consumed 2 results', state: 'SUCCESS' });
  });

  it('lets a running job grow its tree under a job that has not started (§3)', async () => {
    const store = makeStore();
    const prepare: JobType = {
      name: 'prepare',
      paramsSchema: { type: 'object' },
      async run(ctx) {
        const ids = await ctx.addChildren(ctx.parent!, [
          { title: 'start i1', type: 'noop' },
          { title: 'start i2', type: 'noop' },
        ]);
        return { summary: `added ${ids.length}` };
      },
    };
    await makeAgent(store, { types: [prepare] });
    const log = await collectEvents(store);
    const plan = await submit(store, {
      job: {
        title: 'switch router',
        type: 'noop',
        children: [{ title: 'prepare', type: 'prepare' }],
      },
    });
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    const tree = await store.getTree(plan.root);
    expect(tree.job.children.map((c) => `${c.title}:${c.state}`)).to.deep.equal([
      'prepare:SUCCESS',
      'start i1:SUCCESS',
      'start i2:SUCCESS',
    ]);
    const rootRun = log.events.find((e) => e.job === plan.root && e.state === 'RUNNING')!;
    const added = log.events.filter(
      (e) => e.state === 'SUCCESS' && tree.job.children.slice(1).some((c) => c.id === e.job),
    );
    for (const e of added) expect(e.seq).to.be.below(rootRun.seq);
  });
});
