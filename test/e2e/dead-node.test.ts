/**
 * SPEC §9, a node stops heartbeating, with real agent processes: one killed
 * with SIGKILL mid-job (its running job fails NODE_LOST and the tree aborts;
 * its queued work waits for it), and one frozen with SIGSTOP past its TTL
 * (its late report is refused when it wakes).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnAgent, type AgentProcess } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const FAST_DEATH = { JOBTREE_HEARTBEAT_TTL_MS: '1000', JOBTREE_HEARTBEAT_INTERVAL_MS: '200' };

/** Agents a and b with a 1 s heartbeat TTL, a store on their prefix, and its event log. */
async function cluster() {
  const prefix = `jt-${randomUUID()}`;
  const store = makeStore(testRedisUrl(), prefix);
  const log = await collectEvents(store);
  const spawn = (node: string): Promise<AgentProcess> =>
    spawnAgent({ node, redisUrl: testRedisUrl(), prefix, env: FAST_DEATH });
  return { store, log, spawn, a: await spawn('a'), b: await spawn('b') };
}

describe('e2e: dead nodes (§9)', function () {
  this.timeout(60000);

  it('fails a killed node’s running job NODE_LOST, aborts its tree, keeps its queue, shows it dead', async () => {
    const { store, log, spawn, a, b } = await cluster();
    const tree = await http(a.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'deploy',
        type: 'noop',
        children: [
          { title: 'on b', type: 'sleep', node: 'b', params: { ms: 60000 } },
          { title: 'on a', type: 'sleep', node: 'a', params: { ms: 60000 } },
        ],
      },
    });
    const [onB, onA] = (tree.body.jobs as Array<{ id: string }>).slice(1);
    await log.until((e) => e.job === onB!.id && e.state === 'RUNNING');
    await log.until((e) => e.job === onA!.id && e.state === 'RUNNING');

    await b.kill9();
    const later = await http(a.url, 'POST', '/api/v1/trees', {
      job: { title: 'for b later', type: 'noop', node: 'b' },
    });
    await log.until((e) => e.job === onB!.id && e.state === 'FAILED', 15000);
    expect((await store.getJob(onB!.id)).error?.code).to.equal('NODE_LOST');
    await log.until((e) => e.job === onA!.id && e.state === 'ABORTED');
    expect((await store.getTree(tree.body.root)).state).to.equal('FAILED');
    expect((await store.getJob(later.body.root)).state).to.equal('QUEUED'); // waits for b

    const nodes = await http(a.url, 'GET', '/api/v1/nodes');
    const byName = Object.fromEntries(
      (nodes.body.nodes as Array<{ name: string; alive: boolean; heartbeatAgeMs: number }>).map(
        (n) => [n.name, n],
      ),
    );
    expect(byName.a?.alive).to.equal(true);
    expect(byName.b?.alive).to.equal(false);
    expect(byName.b?.heartbeatAgeMs).to.be.at.least(1000);
    const cli = await runCli(['nodes', '--server', a.url]);
    expect(cli.code).to.equal(0);
    expect(cli.stdout).to.match(/^b\s.*\bNO\b.*s ago/m);
    expect(cli.stdout).to.match(/^a\s.*\byes\b/m);

    await spawn('b');
    await log.until((e) => e.job === later.body.root && e.state === 'SUCCESS');
  });

  it('refuses the late report of a node that came back after being declared lost (fencing)', async () => {
    const { store, log, a, b } = await cluster();
    const tree = await http(a.url, 'POST', '/api/v1/trees', {
      job: { title: 'slow on b', type: 'sleep', node: 'b', params: { ms: 1500 } },
    });
    const root = tree.body.root as string;
    await log.until((e) => e.job === root && e.state === 'RUNNING');
    b.child.kill('SIGSTOP');
    try {
      await log.until((e) => e.job === root && e.state === 'FAILED', 15000);
    } finally {
      b.child.kill('SIGCONT');
    }
    const { seq } = (await store.treeState(root))!;
    const jobLog = join(b.dataDir, 'logs', root, `${root}.log`);
    await waitFor(() => readFileSync(jobLog, 'utf8').includes('report refused'), {
      what: 'b to finish the job and be refused',
    });
    const job = await store.getJob(root);
    expect(job.state).to.equal('FAILED');
    expect(job.error?.code).to.equal('NODE_LOST');
    expect((await store.treeState(root))!.seq).to.equal(seq); // nothing written by the late report
    expect(log.events.filter((e) => e.job === root).map((e) => e.state)).to.deep.equal([
      'QUEUED',
      'RUNNING',
      'FAILED',
    ]);
  });
});
