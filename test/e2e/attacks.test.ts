/**
 * The attacks of issue 25, replayed against a real agent process (SPEC
 * §18; test/helpers/attacks.ts): a definition asking for 10^8 items, a
 * 2,000 × 2,000 expansion run and posted as a message, a backtracking
 * pattern on 50,000 characters, 100,000 log subscriptions on one read-only
 * socket, and twenty reads of a 12,000-job tree at once. Each is refused
 * or absorbed; throughout, a watcher asks the agent's health every 100 ms
 * and finds its heartbeat key alive in Redis: every probe is answered and
 * the heartbeat never lapses. How fast health answers under each attack
 * is measured by `npm run bench -- --only attacks`, not asserted here.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { replayAttacks, watchHealth } from '../helpers/attacks.js';
import { spawnAgent } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';

describe('e2e: the attacks of issue 25, with the agent healthy throughout (§18)', function () {
  this.timeout(180000);

  it('refuses or absorbs each, and health and heartbeat never lapse', async () => {
    const prefix = `jt-${randomUUID()}`;
    const tokens = { admin: `admin-${randomUUID()}`, read: `read-${randomUUID()}` };
    const agent = await spawnAgent({
      node: 'n1',
      redisUrl: testRedisUrl(),
      prefix,
      env: {
        JOBTREE_TOKEN: tokens.admin,
        JOBTREE_READ_TOKEN: tokens.read,
        JOBTREE_LOG_LEVEL: 'warn',
      },
    });
    const watcher = watchHealth(agent.url, testRedisUrl(), `${prefix}:node:n1:alive`);
    let got;
    try {
      got = await replayAttacks(
        {
          url: agent.url,
          admin: { authorization: `Bearer ${tokens.admin}` },
          readToken: tokens.read,
        },
        watcher,
      );
    } finally {
      await watcher.stop();
    }
    expect(got.specimen).to.deep.equal({ status: 201 });
    expect(got.expansion).to.deep.equal({
      run: 400,
      runCode: 'TOO_LARGE',
      message: 202,
      failedCode: 'TOO_LARGE',
    });
    expect(got.pattern).to.deep.equal({ status: 400, path: 'params.v' });
    expect(got.subscriptions).to.deep.equal({ closed: 'io server disconnect', refused: 100 });
    expect(got.bigReads?.ok).to.be.within(1, 19);
    expect((got.bigReads?.ok as number) + (got.bigReads?.busy as number)).to.equal(20);

    for (const [phase, seen] of watcher.phases) {
      console.log(
        `      ${phase}: ${seen.probes} health probes, slowest ${Math.round(seen.slowestMs)} ms`,
      );
      expect(seen.failed, phase).to.deep.equal([]);
      expect(seen.lapsed, `the heartbeat lapsed during ${phase}`).to.equal(0);
    }
    for (const name of ['specimen', 'expansion', 'pattern', 'subscriptions', 'bigReads'])
      expect(watcher.phases.get(name)?.probes, `probes during ${name}`).to.be.at.least(1);
    expect(agent.child.exitCode).to.equal(null);
  });
});
