/**
 * Drain and undrain (SPEC §16) across real agent processes: a draining
 * node claims nothing while its running job finishes (`draining`, then
 * `drained`), its queued job waits while a `*` job goes to another node,
 * and undrain lets it claim again; a second signal (SIGQUIT here) aborts
 * running jobs at once instead of after the grace period.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const gated = (gate: string, node: string) => ({
  job: {
    title: 'gated',
    type: 'shell',
    node,
    params: { command: `while [ ! -e ${gate} ]; do sleep 0.02; done` },
  },
});

async function stateOf(url: string, id: string): Promise<string> {
  return (await http(url, 'GET', `/api/v1/jobs/${id}`)).body.state as string;
}

describe('e2e: drain', function () {
  this.timeout(60000);

  it('stops claiming, lets the running job finish, and claims again when undrained (§16)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const [a, b] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const gate = join(tempDir(), 'gate');
    const running = (await http(a!.url, 'POST', '/api/v1/trees', gated(gate, 'a'))).body
      .root as string;
    await waitFor(async () => (await stateOf(a!.url, running)) === 'RUNNING');
    const drained = await runCli(['drain', 'a'], { env: { JOBTREE_SERVER: b!.url } });
    expect(drained.stdout).to.equal('a: draining\n');
    const nodes = await runCli(['nodes'], { env: { JOBTREE_SERVER: b!.url } });
    expect(nodes.stdout).to.match(/\na\s+yes\s+draining\s/);

    const waiting = (
      await http(a!.url, 'POST', '/api/v1/trees', {
        job: { title: 'for a', type: 'noop', node: 'a' },
      })
    ).body.root as string;
    const anyNode = await http(a!.url, 'POST', '/api/v1/trees?wait=true&timeout=20', {
      job: { title: 'any', type: 'noop', node: '*' },
    });
    expect(anyNode.body.job).to.include({ state: 'SUCCESS', node: 'b' });
    expect(await stateOf(a!.url, waiting)).to.equal('QUEUED');

    writeFileSync(gate, '');
    await waitFor(async () => (await stateOf(a!.url, running)) === 'SUCCESS');
    await waitFor(async () => {
      const n = (await http(b!.url, 'GET', '/api/v1/nodes')).body.nodes.find(
        (x: { name: string }) => x.name === 'a',
      );
      return n.state === 'drained' && n.free === 0;
    });
    expect(await stateOf(a!.url, waiting)).to.equal('QUEUED');

    expect((await runCli(['undrain'], { env: { JOBTREE_SERVER: a!.url } })).stdout).to.equal(
      'a: active\n',
    );
    await waitFor(async () => (await stateOf(a!.url, waiting)) === 'SUCCESS');
    expect((await http(b!.url, 'POST', '/api/v1/nodes/nope/drain')).status).to.equal(404);
  });

  it('aborts running jobs at once on SIGQUIT after SIGTERM, not after the grace period (§16)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const a = await spawnAgent({
      node: 'a',
      redisUrl: testRedisUrl(),
      prefix,
      env: { JOBTREE_SHUTDOWN_GRACE_MS: '60000', JOBTREE_SHELL_KILL_GRACE_MS: '200' },
    });
    const watcher = await spawnAgent({ node: 'w', redisUrl: testRedisUrl(), prefix });
    const gate = join(tempDir(), 'never');
    const id = (await http(a.url, 'POST', '/api/v1/trees', gated(gate, 'a'))).body.root as string;
    await waitFor(async () => (await stateOf(a.url, id)) === 'RUNNING');
    const exited = once(a.child, 'exit');
    a.child.kill('SIGTERM');
    await waitFor(() => a.output().includes('running jobs may finish'));
    expect(await stateOf(watcher.url, id)).to.equal('RUNNING');
    const asked = Date.now();
    a.child.kill('SIGQUIT');
    const [code] = (await exited) as [number | null];
    expect(code).to.equal(0);
    expect(Date.now() - asked).to.be.below(10000); // the grace period is 60 s
    const job = (await http(watcher.url, 'GET', `/api/v1/jobs/${id}`)).body;
    expect(job.state).to.equal('ABORTED');
    expect(job.error.code).to.equal('AGENT_SHUTDOWN');
  });
});
