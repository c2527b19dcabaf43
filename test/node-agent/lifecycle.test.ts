/**
 * Agent lifecycle (SPEC §2 node names, §8 graceful stop): one live agent
 * per name; a stop lets short jobs finish and aborts the rest after the
 * grace period.
 */
import { expect } from 'chai';
import { claimIdentity } from '../../src/daemon/identity.js';
import { ConflictError } from '../../src/shared/errors.js';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { makeStore, submit } from '../helpers/store.js';

describe('agent: lifecycle', () => {
  it('refuses a second live agent with the same node name (§2)', async () => {
    const store = makeStore();
    await makeAgent(store, { node: 'dup' });
    const err = await claimIdentity(store, 'dup', tempDir()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect((err as Error).message).to.match(/node name "dup" is held by another live agent/);
  });

  it('lets running jobs finish within the grace period, then aborts the rest (§8)', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, { env: { JOBTREE_SHUTDOWN_GRACE_MS: '400' } });
    const quick = await submit(store, {
      job: { title: 'quick', type: 'sleep', params: { ms: 100 } },
    });
    const slow = await submit(store, {
      job: { title: 'slow', type: 'sleep', params: { ms: 30000 } },
    });
    await log.until((e) => e.job === slow.root && e.state === 'RUNNING');
    await log.until((e) => e.job === quick.root && e.state === 'RUNNING');
    await agent.stop();
    expect((await store.getJob(quick.root)).state).to.equal('SUCCESS');
    const s = await store.getJob(slow.root);
    expect(s.state).to.equal('ABORTED');
    expect(s.error?.code).to.equal('AGENT_SHUTDOWN');
    expect(await store.nodeOwner('n1')).to.equal(null);
  });

  it('claims nothing more once stopping, though it runs on while its jobs finish', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, { env: { JOBTREE_CLAIM_POLL_MS: '50' } });
    const gate = await submit(store, {
      job: { title: 'finishing', type: 'sleep', params: { ms: 600 } },
    });
    await log.until((e) => e.job === gate.root && e.state === 'RUNNING');
    const stopping = agent.stop(); // waits for the running job: the agent is still up
    const plan = await submit(store, { job: { title: 'after', type: 'noop' } });
    await stopping;
    // the submission's wake and a dozen polls came while it stopped: none claimed it
    expect((await store.getJob(gate.root)).state).to.equal('SUCCESS');
    expect((await store.getJob(plan.root)).state).to.equal('QUEUED');
    expect(log.events.filter((e) => e.job === plan.root).map((e) => e.state)).to.deep.equal([
      'QUEUED',
    ]);
  });
});
