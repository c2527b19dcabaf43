/**
 * An abort that comes before its job starts here (issue 26): on a Redis
 * Cluster a claim goes shard by shard before the agent starts the jobs it
 * claimed, and an adopted claim starts at the next heartbeat; an abort
 * signal read in that gap found no running job and was dropped, and the
 * job ran to its natural end before its tree became ABORTED. The signal is
 * now kept for the job, which starts stopped. Here the gap is an adoption
 * (a claim made in Redis under the agent's token that the agent has not
 * heard of), held open by a long heartbeat interval.
 */
import { expect } from 'chai';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { until } from '../helpers/log-client.js';
import { makeStore, submit } from '../helpers/store.js';

describe('agent: an abort before its job starts here', function () {
  this.timeout(30000);

  it('stops the job as it starts, instead of letting it run to its end', async () => {
    const store = makeStore();
    const events = await collectEvents(store);
    const agent = await makeAgent(store, {
      env: { JOBTREE_HEARTBEAT_INTERVAL_MS: '2000', JOBTREE_CLAIM_POLL_MS: '60000' },
    });
    // a drained agent claims nothing itself, but adopts at its heartbeats and hears signals
    await store.setDrain('n1', true);
    await until(async () => (await store.listNodes(Date.now()))[0]?.state === 'drained', 'drained');
    const plan = await submit(store, {
      job: { title: 'long', type: 'sleep', node: 'n1', params: { ms: 60_000 } },
    });
    // claimed in Redis under the agent's token, unknown to it until its next heartbeat's adoption
    const [claimed] = await store.claimJobs('n1', 1, agent.runId, Date.now());
    expect(claimed?.id).to.equal(plan.root);
    await store.abortJob(plan.root, 'user', Date.now());
    const end = await events.until((e) => e.job === plan.root && e.state === 'ABORTED', 20000);
    expect(end.prev).to.equal('RUNNING');
  });
});
