/**
 * `jobtree tail -f` across three agent processes (SPEC §6, §8): a job on
 * node c followed through node a prints exactly the owner's file; an abort
 * while following ends the stream; unknown jobs exit 3.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { newId } from '../../src/shared/ids.js';
import { runCli, spawnAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('e2e: jobtree tail -f across nodes', function () {
  this.timeout(60000);

  it('follows a job on node c through node a, and stops when its tree is aborted', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const log = await collectEvents(store);
    const [a, , c] = await Promise.all(
      ['a', 'b', 'c'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const done = await http(a!.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'count',
        type: 'shell',
        node: 'c',
        params: { command: 'for i in $(seq 1 30); do echo "n=$i"; sleep 0.02; done' },
      },
    });
    const followed = await runCli(['--server', a!.url, 'tail', '-f', done.body.root]);
    expect(followed.code).to.equal(0);
    const file = await waitFor(async () => {
      const r = await http(c!.url, 'GET', `/api/v1/jobs/${done.body.root}/log`);
      return r.headers.get('x-log-complete') === 'true' && (r.body as string);
    });
    expect(followed.stdout).to.equal(file);
    expect(followed.stdout).to.match(/ stdout n=30\n/);

    const long = await http(a!.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'forever',
        type: 'shell',
        node: 'c',
        params: { command: 'echo started; sleep 60' },
      },
    });
    await log.until((e) => e.job === long.body.root && e.state === 'RUNNING');
    const tailing = runCli(['--server', a!.url, 'tail', '-f', long.body.root]);
    await waitFor(async () =>
      (await http(c!.url, 'GET', `/api/v1/jobs/${long.body.root}/log`)).body.includes('started'),
    );
    const relays = async (): Promise<number> =>
      Number(
        /^jobtree_log_relays\{[^}]*\} (\d+)$/m.exec(
          (await http(a!.url, 'GET', '/metrics')).body,
        )?.[1],
      );
    await waitFor(async () => (await relays()) === 1, {
      what: "a to relay c's log to the tailing CLI",
    });
    await http(a!.url, 'POST', `/api/v1/trees/${long.body.root}/abort`);
    const ended = await tailing;
    expect(ended.code).to.equal(0);
    expect(ended.stdout).to.match(/ stdout started\n/);
    expect(ended.stdout).to.match(/ agent finished ABORTED .*ABORTED_BY_USER/);
    await waitFor(async () => (await relays()) === 0, { what: 'the unused relay to close' });

    const unknown = await runCli(['--server', a!.url, 'tail', '-f', newId()]);
    expect(unknown.code).to.equal(3);
  });
});
