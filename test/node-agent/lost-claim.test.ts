/**
 * SPEC §9, a crash never leaves a job RUNNING forever: a claim that Redis
 * executed but whose reply the agent never got (a connection dropped at the
 * wrong moment) leaves a job RUNNING under the agent's own token. The agent
 * adopts it within a heartbeat and runs it.
 */
import { expect } from 'chai';
import type { Claimer } from '../../src/node-agent/claimer.js';
import type { JobType } from '../../src/node-agent/job-types/job-type.js';
import type { Reporter } from '../../src/node-agent/reporter.js';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { readJobLog } from '../helpers/job-log.js';
import { makeStore, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';
import type { RedisStore } from '../../src/store/redis-store.js';

describe('agent: lost claim replies', () => {
  it('adopts and runs a job claimed under its token that it never heard of', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, { node: 'n1', concurrency: 1 });
    const blocker = await submit(store, {
      job: { title: 'holds the only slot', type: 'sleep', params: { ms: 60000 } },
    });
    await log.until((e) => e.job === blocker.root && e.state === 'RUNNING');
    const lost = await submit(store, { job: { title: 'lost reply', type: 'noop' } });
    // the claim executes in Redis under the agent's run id; its reply never reaches the agent
    const [claimed] = await store.claimJobs('n1', 1, agent.runId, Date.now());
    expect(claimed?.id).to.equal(lost.root);

    await log.until((e) => e.job === lost.root && e.state === 'SUCCESS');
    expect(await readJobLog(agent, lost.root, lost.root)).to.match(/ agent finished SUCCESS /);
    expect((await store.getJob(blocker.root)).state).to.equal('RUNNING'); // untouched
  });

  it('claims at once for a wake that came while it was adopting, not at the next poll', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, {
      env: {
        JOBTREE_CLAIM_POLL_MS: '60000',
        JOBTREE_HEARTBEAT_INTERVAL_MS: '20000',
        JOBTREE_HEARTBEAT_TTL_MS: '60000',
      },
    });
    // the agent's claimer is private: this test drives its adoption by hand
    const claimer = (agent as unknown as { claimer: Claimer }).claimer;
    const { entered, release } = slowAdoption(store);
    // an adoption waits out a claim in flight (the start's first fill): try until one runs
    let adopting: Promise<void> = Promise.resolve();
    await waitFor(async () => {
      adopting = claimer.adoptOrphans();
      return Promise.race([entered.then(() => true), adopting.then(() => false)]);
    });
    const plan = await submit(store, { job: { title: 'queued meanwhile', type: 'noop' } });
    claimer.wake(); // its wake, during the adoption
    release();
    await adopting;
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS', 5000);
  });

  it('sends an end that may claim after an adoption, so the parent it frees runs once', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    let finishChild: () => void = () => undefined;
    const childMayEnd = new Promise<void>((r) => (finishChild = r));
    let parentRuns = 0;
    const types: JobType[] = [
      { name: 'gate', paramsSchema: {}, run: async () => (await childMayEnd, {}) },
      { name: 'counted', paramsSchema: {}, run: async () => (parentRuns++, {}) },
    ];
    const agent = await makeAgent(store, {
      types,
      env: { JOBTREE_HEARTBEAT_INTERVAL_MS: '20000', JOBTREE_HEARTBEAT_TTL_MS: '60000' },
    });
    const internals = agent as unknown as { claimer: Claimer; reporter: Reporter };
    const plan = await submit(store, {
      job: { title: 'freed', type: 'counted', children: [{ title: 'ends', type: 'gate' }] },
    });
    await log.until((e) => e.job !== plan.root && e.state === 'RUNNING');

    const { entered, release } = slowAdoption(store); // the child's end comes meanwhile
    const adopting = internals.claimer.adoptOrphans();
    await entered;
    const report = internals.reporter.report.bind(internals.reporter);
    const reported = new Promise<void>((r) => {
      internals.reporter.report = (end) => (r(), report(end));
    });
    finishChild();
    await reported; // the end, with claimFor, is on its way (or waits for the adoption)
    release();
    await adopting;

    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS', 5000);
    await waitFor(() => internals.claimer.size === 0);
    expect(parentRuns).to.equal(1);
  });
});

/** Makes the store's adoption query wait for `release`; `entered` resolves when one has begun. */
function slowAdoption(store: RedisStore): { entered: Promise<void>; release: () => void } {
  const adopt = store.adoptClaims.bind(store);
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  const entered = new Promise<void>((r) => {
    store.adoptClaims = async (...args) => {
      r();
      await held;
      return adopt(...args);
    };
  });
  return { entered, release };
}
