/**
 * The Lua scripts against the reference model (src/jobtree/rules.ts): the
 * same random event sequences on both, the states and the tree's per-state
 * counters compared after each step (SPEC §4 rules 1–6), with retries and
 * their policies (§14), a pool's slots (§12), pause and resume, and the
 * claim of a freed parent in the end's own call (`claimFor`). Every move
 * the scripts announce is checked against the one transition table
 * (src/jobtree/states.ts), from the raw channel.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { planChildren } from '../../src/jobtree/plan.js';
import * as rules from '../../src/jobtree/rules.js';
import { isAllowedTransition, isJobState } from '../../src/jobtree/states.js';
import { deriveTreeState } from '../../src/jobtree/tree-state.js';
import { newId } from '../../src/shared/ids.js';
import type { JobSpec, JobState, RetryPolicy } from '../../src/shared/types.js';
import { Keys } from '../../src/store/keys.js';
import type { ShardedStore } from '../../src/store/sharded-store.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';

/** A small deterministic PRNG so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The pool some jobs hold, and its slots. */
const POOL = { name: 'model-pool', slots: 2 };

function randomPolicy(rand: () => number): RetryPolicy | undefined {
  const roll = rand();
  if (roll < 0.5) return undefined;
  const attempts = 2 + Math.floor(rand() * 2);
  if (roll < 0.7) return { attempts };
  if (roll < 0.85) return { attempts, on: ['FLAKY'] };
  return { attempts, backoff: { type: 'fixed', delayMs: 1 } }; // through P:delayed
}

function randomSpec(rand: () => number, budget: { n: number }, depth = 0): JobSpec {
  budget.n -= 1;
  const kids = depth < 3 && budget.n > 0 ? Math.floor(rand() * 4) : 0;
  const children: JobSpec[] = [];
  for (let i = 0; i < kids && budget.n > 0; i++) children.push(randomSpec(rand, budget, depth + 1));
  const retry = randomPolicy(rand);
  return {
    title: `j${budget.n}`,
    type: 'noop',
    children,
    ...(retry ? { retry } : {}),
    ...(rand() < 0.3 ? { pool: POOL.name } : {}),
  };
}

/** Every move announced on the status channel of `prefix`, as "prev>state". */
async function watchMoves(prefix: string): Promise<{ moves: string[]; close(): void }> {
  const sub = track(new Redis(testRedisUrl()), (r) => r.disconnect());
  const moves: string[] = [];
  sub.on('message', (_channel: string, message: string) => {
    const e = JSON.parse(message) as { prev: unknown; state: unknown };
    const prev = e.prev === null ? null : isJobState(e.prev) ? e.prev : 'NOT_A_STATE';
    const ok = isJobState(e.state) && prev !== 'NOT_A_STATE' && isAllowedTransition(prev, e.state);
    moves.push(`${String(e.prev)}>${String(e.state)}${ok ? '' : ' (not in the table)'}`);
  });
  await sub.subscribe(new Keys(prefix).statusChannel());
  return { moves, close: () => sub.disconnect() };
}

async function compare(
  store: ShardedStore,
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
    const seen = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const rand = prng(seed);
      const prefix = `jt-${randomUUID()}`;
      const store = makeStore(testRedisUrl(), prefix);
      const watch = await watchMoves(prefix);
      await store.pools.set(POOL.name, POOL.slots, undefined);
      const spec = { job: randomSpec(rand, { n: 12 }) };
      const plan = await submit(store, spec);
      const model = rules.buildModel(plan.jobs);
      const policies = new Map(plan.jobs.map((j) => [j.id, j.retry]));
      const pooled = new Set(plan.jobs.filter((j) => j.pool).map((j) => j.id));
      let paused = false;
      for (let step = 0; step < 25; step++) {
        const roll = rand();
        const ids = [...model.values()];
        const running = ids.filter((j) => j.state === 'RUNNING');
        const label = `seed ${seed} step ${step}`;
        if (roll < 0.35) {
          const claimed = await store.claimJobs('n1', 100, 'tok', Date.now());
          if (paused) expect(claimed, `${label}: claims of a paused tree`).to.deep.equal([]);
          for (const c of claimed) {
            expect(rules.claim(model, c.id), `${label}: claim ${c.id}`).not.to.equal(null);
          }
        } else if (roll < 0.75 && running.length > 0) {
          const job = pick(rand, running)!;
          const outcome = rand() < 0.75 ? 'SUCCESS' : rand() < 0.8 ? 'FAILED' : 'ABORTED';
          const code = rand() < 0.5 ? 'FLAKY' : 'BROKEN';
          const policy = policies.get(job.id);
          const [answer] = await store.finishJobs([
            {
              root: plan.root,
              id: job.id,
              token: 'tok',
              outcome,
              at: Date.now(),
              ...(outcome === 'FAILED' ? { error: { code, message: 'model' } } : {}),
              claimFor: 'n1', // a parent freed here is claimed in the same call
            },
          ]);
          rules.finish(model, job.id, outcome, { code, ...(policy ? { policy } : {}) });
          if (answer instanceof Error) throw answer;
          expect(answer?.state, `${label}: end of ${job.id}`).to.equal(model.get(job.id)?.state);
          if (answer?.next) {
            expect(paused, `${label}: ${answer.next.id} claimed in a paused tree`).to.equal(false);
            expect(rules.claim(model, answer.next.id), `${label}: claimFor`).not.to.equal(null);
          }
        } else if (roll < 0.82) {
          const job = pick(rand, ids)!;
          const expected = rules.abortJob(model, job.id);
          const err = await store.abortJob(job.id, 'model', Date.now()).then(
            () => null,
            (e: Error) => e,
          );
          expect(err === null, `${label}: abort accepted`).to.equal(expected !== null);
        } else if (roll < 0.9) {
          const changed = await store.setPaused(plan.root, !paused, Date.now()).catch(() => false);
          if (changed) paused = !paused;
          if (!changed)
            expect(rules.isTreeActive(model), `${label}: pause refused`).to.equal(false);
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
        const inPool = [...model.values()].filter((j) => pooled.has(j.id) && j.state === 'RUNNING');
        expect(inPool.length, `${label}: jobs holding the pool`).to.be.at.most(POOL.slots);
      }
      watch.close();
      for (const m of watch.moves) seen.add(m);
      await store.close();
    }
    const refused = [...seen].filter((m) => m.endsWith('(not in the table)'));
    expect(refused, 'moves the table forbids').to.deep.equal([]);
    // the sequences reach every kind of move, the retries' and the grafts' included
    for (const m of ['null>QUEUED', 'RUNNING>QUEUED', 'WAITING>QUEUED', 'QUEUED>WAITING']) {
      expect([...seen], m).to.include(m);
    }
  });
});
