/**
 * The Lua scripts against the reference model (src/jobtree/rules.ts): the
 * same random event sequences on both, the states and the tree's per-state
 * counters compared after each step (SPEC §4 rules 1–6).
 */
import { expect } from 'chai';
import { planChildren } from '../../src/jobtree/plan.js';
import * as rules from '../../src/jobtree/rules.js';
import { deriveTreeState } from '../../src/jobtree/tree-state.js';
import { newId } from '../../src/shared/ids.js';
import type { JobSpec, JobState } from '../../src/shared/types.js';
import type { RedisStore } from '../../src/store/redis-store.js';
import { makeStore, submit } from '../helpers/store.js';

/** A small deterministic PRNG so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomSpec(rand: () => number, budget: { n: number }, depth = 0): JobSpec {
  budget.n -= 1;
  const kids = depth < 3 && budget.n > 0 ? Math.floor(rand() * 4) : 0;
  const children: JobSpec[] = [];
  for (let i = 0; i < kids && budget.n > 0; i++) children.push(randomSpec(rand, budget, depth + 1));
  return { title: `j${budget.n}`, type: 'noop', children };
}

async function compare(
  store: RedisStore,
  model: rules.TreeModel,
  root: string,
  step: string,
): Promise<void> {
  const tree = await store.getTree(root);
  const stored = new Map<string, JobState>();
  const walk = (j: typeof tree.job): void => {
    stored.set(j.id, j.state);
    j.children.forEach(walk);
  };
  walk(tree.job);
  const counts: Partial<Record<JobState, number>> = {};
  for (const [id, m] of model) {
    expect(stored.get(id), `${step}: job ${id}`).to.equal(m.state);
    counts[m.state] = (counts[m.state] ?? 0) + 1;
  }
  expect(stored.size).to.equal(model.size);
  expect(tree.state, `${step}: tree state`).to.equal(deriveTreeState(counts));
  // the per-state counters kept on the tree hash (what listings show)
  const listed = (await store.listTrees({ tags: [], limit: 1 })).trees[0];
  expect(listed?.counts, `${step}: tree counts`).to.deep.equal(counts);
}

const pick = <T>(rand: () => number, xs: T[]): T | undefined => xs[Math.floor(rand() * xs.length)];

describe('store scripts against the reference model', () => {
  it('agree on 60 random event sequences', async function () {
    this.timeout(60000);
    for (let seed = 1; seed <= 60; seed++) {
      const rand = prng(seed);
      const store = makeStore();
      const plan = await submit(store, { job: randomSpec(rand, { n: 12 }) });
      const model = rules.buildModel(plan.jobs);
      for (let step = 0; step < 25; step++) {
        const roll = rand();
        const ids = [...model.values()];
        const running = ids.filter((j) => j.state === 'RUNNING');
        const label = `seed ${seed} step ${step}`;
        if (roll < 0.35) {
          for (const c of await store.claimJobs('n1', 100, 'tok', Date.now())) {
            expect(rules.claim(model, c.id), `${label}: claim ${c.id}`).not.to.equal(null);
          }
        } else if (roll < 0.8 && running.length > 0) {
          const job = pick(rand, running)!;
          const outcome = rand() < 0.85 ? 'SUCCESS' : rand() < 0.5 ? 'FAILED' : 'ABORTED';
          rules.finish(model, job.id, outcome);
          await store.finishJob({
            root: plan.root,
            id: job.id,
            token: 'tok',
            outcome,
            at: Date.now(),
          });
        } else if (roll < 0.88) {
          const job = pick(rand, ids)!;
          const expected = rules.abortJob(model, job.id);
          const err = await store.abortJob(job.id, 'model', Date.now()).then(
            () => null,
            (e: Error) => e,
          );
          expect(err === null, `${label}: abort accepted`).to.equal(expected !== null);
        } else {
          const target = pick(
            rand,
            ids.filter((j) => j.state === 'WAITING' || j.state === 'QUEUED'),
          );
          if (target) {
            const t = await store.getJob(target.id);
            const { jobs: added, direct } = planChildren(
              [{ title: 'g', type: 'noop', children: [{ title: 'g1', type: 'noop' }] }],
              t,
              newId,
            );
            await store.addChildren(
              { root: t.root, target: t.id, jobs: added, direct, maxJobs: 100_000 },
              Date.now(),
            );
            expect(rules.addChildren(model, target.id, added)).not.to.equal(null);
          }
        }
        await compare(store, model, plan.root, label);
      }
      await store.close();
    }
  });
});
