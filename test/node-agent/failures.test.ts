/**
 * Failures, aborts and timeouts in a running agent (SPEC §4 rules 4, 5, 7;
 * §5 errors): the whole tree stops, a shell job's process group is gone.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobType } from '../../src/node-agent/job-types/job-type.js';
import { isGroupAlive } from '../../src/supervisor/process-group.js';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { readJobLog } from '../helpers/job-log.js';
import { makeStore, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('agent: failures, aborts and timeouts', () => {
  it('aborts running siblings and never starts waiting jobs when one fails (§4.4)', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, { concurrency: 4 });
    const plan = await submit(store, {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          { title: 'long', type: 'sleep', params: { ms: 30000 } },
          { title: 'bad', type: 'shell', params: { command: 'echo broken >&2; exit 3' } },
        ],
      },
    });
    await log.until((e) => e.job === plan.root && e.state === 'ABORTED');
    await waitFor(async () => (await store.getTree(plan.root)).state !== 'RUNNING');
    const tree = await store.getTree(plan.root);
    expect(tree.state).to.equal('FAILED');
    const [long, bad] = tree.job.children;
    expect(bad).to.deep.include({
      state: 'FAILED',
      error: { code: 'EXIT', message: 'exit code 3' },
    });
    expect(long?.state).to.equal('ABORTED');
    expect(long?.error).to.include({ code: 'ABORTED_BY_FAILURE', job: bad!.id });
    expect(log.events.some((e) => e.job === plan.root && e.state === 'RUNNING')).to.equal(false);
    expect(await readJobLog(agent, plan.root, bad!.id)).to.match(/ stderr broken\n/);
  });

  it("terminates a running shell job's whole process group on abort, SIGKILL after the grace (§4.4, §4.5)", async () => {
    const store = makeStore();
    const dir = tempDir();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, { env: { JOBTREE_SHELL_KILL_GRACE_MS: '500' } });
    // one child obeys SIGTERM, the other ignores it and must be SIGKILLed
    const command = `echo $$ > ${join(dir, 'pgid')}; sleep 300 & (trap '' TERM; sleep 301) & wait`;
    const plan = await submit(store, { job: { title: 'r', type: 'shell', params: { command } } });
    await log.until((e) => e.job === plan.root && e.state === 'RUNNING');
    const pgid = await waitFor(
      () => Number(readFileSync(join(dir, 'pgid'), 'utf8').trim()) || null,
    );
    expect(isGroupAlive(pgid)).to.equal(true);
    await store.abortJob(plan.root, 'test', Date.now());
    await log.until((e) => e.job === plan.root && e.state === 'ABORTED');
    expect(isGroupAlive(pgid)).to.equal(false);
    const job = await store.getJob(plan.root);
    expect(job.error).to.deep.equal({ code: 'ABORTED_BY_USER', message: 'aborted by test' });
    expect(await readJobLog(agent, plan.root, plan.root)).to.match(
      / agent finished ABORTED after \d+ ms: ABORTED_BY_USER aborted by test\n$/,
    );
  });

  it('fails a job that outlives its timeoutMs with TIMEOUT (§4.7)', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    await makeAgent(store);
    const plan = await submit(store, {
      job: { title: 'slow', type: 'sleep', params: { ms: 30000 }, timeoutMs: 100 },
    });
    await log.until((e) => e.job === plan.root && e.state === 'FAILED');
    const job = await store.getJob(plan.root);
    expect(job.error?.code).to.equal('TIMEOUT');
    expect(job.finishedAt! - job.startedAt!).to.be.below(5000);
  });

  it('hands an already-aborted signal to a job that looks only after it was stopped', async () => {
    const store = makeStore();
    const seen: Array<{ aborted: boolean; reason: string }> = [];
    // Busy for 300 ms without looking at its signal, then looks: its 30 ms timeout has passed.
    const late: JobType = {
      name: 'late',
      paramsSchema: { type: 'object' },
      async run(ctx) {
        await new Promise((r) => setTimeout(r, 300));
        seen.push({ aborted: ctx.signal.aborted, reason: String(ctx.signal.reason) });
      },
    };
    await makeAgent(store, { types: [late] });
    const log = await collectEvents(store);
    const plan = await submit(store, { job: { title: 'l', type: 'late', timeoutMs: 30 } });
    await log.until((e) => e.job === plan.root && e.state === 'FAILED');
    expect(seen).to.deep.equal([{ aborted: true, reason: 'Error: stopped: timeout' }]);
    expect((await store.getJob(plan.root)).error?.code).to.equal('TIMEOUT');
  });

  it('keeps a thrown message as the error and writes its stack to the log (§5)', async () => {
    const store = makeStore();
    const boom: JobType = {
      name: 'boom',
      paramsSchema: { type: 'object' },
      async run() {
        throw new Error('disk full');
      },
    };
    const agent = await makeAgent(store, { types: [boom] });
    const log = await collectEvents(store);
    const plan = await submit(store, { job: { title: 'b', type: 'boom' } });
    await log.until((e) => e.job === plan.root && e.state === 'FAILED');
    expect((await store.getJob(plan.root)).error).to.deep.equal({
      code: 'THROWN',
      message: 'disk full',
    });
    expect(await readJobLog(agent, plan.root, plan.root)).to.match(
      /agent Error: disk full\n.*agent\s+at /,
    );
  });

  it('fails a job of a type the node lacks with UNKNOWN_TYPE, and refuses shell when disabled', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    await makeAgent(store, { env: { JOBTREE_SHELL_ENABLED: 'false' } });
    const plan = await submit(store, {
      job: { title: 's', type: 'shell', params: { command: 'true' } },
    });
    await log.until((e) => e.job === plan.root && e.state === 'FAILED');
    expect((await store.getJob(plan.root)).error?.code).to.equal('UNKNOWN_TYPE');
  });

  it('gives shell jobs the JOBTREE_* variables, cwd and env, and marks stderr (§5)', async () => {
    const store = makeStore();
    const dir = tempDir();
    const log = await collectEvents(store);
    const agent = await makeAgent(store, { node: 'envnode' });
    const plan = await submit(
      store,
      {
        job: {
          title: 'env',
          type: 'shell',
          params: {
            command:
              'echo "$JOBTREE_JOB_ID $JOBTREE_ROOT_ID $JOBTREE_NODE $JOBTREE_SERVER $GREETING $(pwd)"; echo oops >&2',
            cwd: dir,
            env: { GREETING: 'hello' },
          },
        },
      },
      'envnode',
    );
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    const text = await readJobLog(agent, plan.root, plan.root);
    expect(text).to.include(
      ` stdout ${plan.root} ${plan.root} envnode ${agent.url} hello ${dir}\n`,
    );
    expect(text).to.match(/ stderr oops\n/);
    expect(text).to.match(/ agent finished SUCCESS/);
  });

  it('runs argv without a shell', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store);
    const plan = await submit(store, {
      job: { title: 'argv', type: 'shell', params: { argv: ['echo', '$HOME; not expanded'] } },
    });
    await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    expect(await readJobLog(agent, plan.root, plan.root)).to.include(
      ' stdout $HOME; not expanded\n',
    );
  });
});
