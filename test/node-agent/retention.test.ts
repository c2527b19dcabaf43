/**
 * Retention in a live agent (SPEC §9): once a finished tree is older than
 * `retention.maxAgeMs`, the housekeeper deletes it from Redis and the agent
 * deletes its log directory; a running tree older than that is kept, logs
 * and all. A node silent for longer than that is forgotten, unless jobs
 * still wait for it.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { readJobLog } from '../helpers/job-log.js';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('agent: retention', () => {
  it('deletes an expired finished tree and its logs, never a running one', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, {
      env: { JOBTREE_RETENTION_MAX_AGE_MS: '300', JOBTREE_RETENTION_SWEEP_INTERVAL_MS: '100' },
    });
    const running = await submit(store, {
      job: { title: 'long', type: 'sleep', params: { ms: 60000 } },
    });
    const finished = await submit(store, { job: { title: 'quick', type: 'noop' } });
    await log.until((e) => e.job === finished.root && e.state === 'SUCCESS');
    await log.until((e) => e.job === running.root && e.state === 'RUNNING');
    await readJobLog(agent, finished.root, finished.root);
    const logsOf = (root: string) => join(agent.config.dataDir, 'logs', root);
    expect(existsSync(logsOf(finished.root))).to.equal(true);

    await waitFor(() => !existsSync(logsOf(finished.root)), { what: 'the logs to expire' });
    await waitFor(() => store.treeState(finished.root).then((s) => s === null), {
      what: 'the tree to expire',
    });
    const kept = await store.getTree(running.root);
    expect(kept.state).to.equal('RUNNING');
    expect(Date.now() - kept.job.createdAt).to.be.above(300);
    expect(existsSync(logsOf(running.root))).to.equal(true);
  });

  it('forgets a node silent for longer than the retention age, unless jobs wait for it', async () => {
    const store = makeStore();
    for (const name of ['gone', 'waited']) {
      await store.registerNode(nodeInfo(name), 10_000);
      await store.unregisterNode(name, `run-${name}`);
    }
    await submit(store, { job: { title: 'for waited', type: 'noop', node: 'waited' } });
    const agent = await makeAgent(store, {
      env: { JOBTREE_RETENTION_MAX_AGE_MS: '300', JOBTREE_RETENTION_SWEEP_INTERVAL_MS: '100' },
    });
    const names = async () => (await store.listNodes(Date.now())).map((n) => n.name);
    await waitFor(async () => !(await names()).includes('gone'), {
      what: 'the silent node to be forgotten',
    });
    expect(await names()).to.deep.equal([agent.config.node, 'waited'].sort());
  });
});
