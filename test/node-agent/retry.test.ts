/**
 * Retries in a running agent (SPEC §14): a shell job that fails twice and
 * then works ends SUCCESS, its log showing each try under a separator; the
 * tries wait `delayMs·2^(try-1)` (measured from the transitions' times,
 * with bounds loose enough for a busy machine) and start soon after runAt.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logPath } from '../../src/logstream/log-file.js';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { makeStore, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('agent: retries (§14)', function () {
  this.timeout(20000);

  it('tries a failing shell job again with exponential delays until it works', async () => {
    const store = makeStore();
    const events = await collectEvents(store);
    const agent = await makeAgent(store);
    const count = join(tempDir(), 'count');
    const command = `n=$(cat ${count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${count}; echo "try $n"; [ $n -ge 3 ]`;
    const plan = await submit(store, {
      job: {
        title: 'git fetch',
        type: 'shell',
        params: { command },
        retry: { attempts: 4, backoff: { type: 'exponential', delayMs: 150 } },
      },
    });
    const root = plan.root;
    await events.until((e) => e.job === root && e.state === 'SUCCESS', 15000);
    const mine = events.events.filter((e) => e.job === root);
    const retries = mine.filter((e) => e.prev === 'RUNNING' && e.state === 'QUEUED');
    expect(retries.map((e) => e.attempt)).to.deep.equal([2, 3]);
    expect(retries.map((e) => e.error?.code)).to.deep.equal(['EXIT', 'EXIT']);
    expect(retries.map((e) => e.runAt! - e.at)).to.deep.equal([150, 300]);
    const starts = mine.filter((e) => e.state === 'RUNNING').map((e) => e.at);
    expect(starts).to.have.length(3);
    retries.forEach((r, i) => {
      expect(starts[i + 1]).to.be.at.least(r.runAt!); // never before its time
      expect(starts[i + 1]! - r.runAt!).to.be.below(1000); // and within 1 s of it
    });
    expect(mine.some((e) => e.state === 'FAILED')).to.equal(false);
    const job = await store.getJob(root);
    expect(job).to.include({ state: 'SUCCESS', attempt: 3 });
    expect(job.attempts?.map((a) => a.error.code)).to.deep.equal(['EXIT', 'EXIT']);
    const path = logPath(agent.config.dataDir, root, root);
    const log = await waitFor(() => {
      const text = readFileSync(path, 'utf8');
      return text.includes('agent finished SUCCESS') ? text : null;
    });
    const order = ['try 1', 'attempt 2 of 4 from', '--- attempt 2 of 4 ---', 'try 2'];
    order.push('--- attempt 3 of 4 ---', 'try 3', 'finished SUCCESS');
    let at = 0;
    for (const line of order) {
      const found = log.indexOf(line, at);
      expect(found, `"${line}" after byte ${at}`).to.be.above(-1);
      at = found;
    }
  });
});
