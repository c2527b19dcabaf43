/**
 * SPEC §9, a crash never leaves a job RUNNING forever: a claim that Redis
 * executed but whose reply the agent never got (a connection dropped at the
 * wrong moment) leaves a job RUNNING under the agent's own token. The agent
 * adopts it within a heartbeat and runs it.
 */
import { expect } from 'chai';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { readJobLog } from '../helpers/job-log.js';
import { makeStore, submit } from '../helpers/store.js';

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
});
