/**
 * A shell job's `params.follow` (issue 3): new lines of files the job's
 * programs write are copied into its log, marked with the file's name.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { readJobLog } from '../helpers/job-log.js';
import { makeStore, submit } from '../helpers/store.js';

describe('shell: following the files a job writes', () => {
  it('copies new lines of a file created during the job, and only new lines of an existing one', async () => {
    const store = makeStore();
    const dir = tempDir();
    const created = join(dir, 'deploy.log');
    const existing = join(dir, 'app.log');
    writeFileSync(existing, 'old line, written before the job\n');
    const log = await collectEvents(store);
    const agent = await makeAgent(store);
    // the last sleep gives the follower time to read the final line before the job ends
    const command = `for i in 1 2 3; do echo "step $i" >> ${created}; echo "app $i" >> ${existing}; sleep 0.15; done; sleep 0.3`;
    const plan = await submit(store, {
      job: { title: 'deploy', type: 'shell', params: { command, follow: [created, existing] } },
    });
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    const text = await readJobLog(agent, plan.root, plan.root);
    for (const i of [1, 2, 3]) {
      expect(text).to.match(new RegExp(` file \\[deploy\\.log\\] step ${i}\\n`));
      expect(text).to.match(new RegExp(` file \\[app\\.log\\] app ${i}\\n`));
    }
    expect(text).not.to.include('old line');
  });

  it('refuses relative paths to follow', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    const res = await fetch(`${agent.url}/api/v1/trees`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        job: { title: 'x', type: 'shell', params: { command: 'true', follow: ['rel.log'] } },
      }),
    });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: { path: string } }).error.path).to.equal(
      'job.params.follow[0]',
    );
  });
});
