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
import { makeStore, submit, withPort } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';
import type { Store } from '../../src/store/store.js';

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
    // the agent's own adoption (after each beat) is held by the port it is given
    const { port, hold, release } = slowAdoption(store);
    await makeAgent(port, {
      env: { JOBTREE_CLAIM_POLL_MS: '60000', JOBTREE_HEARTBEAT_INTERVAL_MS: '100' },
    });
    await hold();
    const plan = await submit(store, { job: { title: 'queued meanwhile', type: 'noop' } });
    // its wake comes during the adoption: the claim follows the adoption, not the 60 s poll
    release();
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
    const { port, hold, release } = slowAdoption(store); // the child's end comes meanwhile
    const agent = await makeAgent(port, {
      types,
      env: { JOBTREE_HEARTBEAT_INTERVAL_MS: '100', JOBTREE_HEARTBEAT_TTL_MS: '60000' },
    });
    // the reporter is the agent's own: this test only listens to it
    const internals = agent as unknown as { claimer: Claimer; reporter: Reporter };
    const plan = await submit(store, {
      job: { title: 'freed', type: 'counted', children: [{ title: 'ends', type: 'gate' }] },
    });
    await log.until((e) => e.job !== plan.root && e.state === 'RUNNING');
    await hold(); // an adoption after a beat, held
    const report = internals.reporter.report.bind(internals.reporter);
    const reported = new Promise<void>((r) => {
      internals.reporter.report = (end) => (r(), report(end));
    });
    finishChild();
    await reported; // the end, with claimFor, is on its way (or waits for the adoption)
    release();

    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS', 5000);
    await waitFor(() => internals.claimer.size === 0);
    expect(parentRuns).to.equal(1);
  });
});

/**
 * A port whose adoption query, once `hold()` was called, waits for
 * `release`; `entered` resolves when such an adoption has begun. Until
 * then adoptions run as they do.
 */
function slowAdoption(store: Store) {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  let enter: () => void = () => undefined;
  const entered = new Promise<void>((r) => (enter = r));
  let holding = false;
  const port = withPort(store, {
    adoptClaims: async (...args) => {
      if (holding) {
        enter();
        await held;
      }
      return store.adoptClaims(...args);
    },
  });
  const hold = () => {
    holding = true;
    return entered;
  };
  return { port, hold, release };
}
