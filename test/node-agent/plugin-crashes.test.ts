/**
 * Isolation of module job types (SPEC §11): a worker that exits, throws
 * outside run, leaves a rejection unhandled, passes its heap limit or
 * spins through its abort fails only its own jobs (TYPE_CRASHED, or
 * TIMEOUT where a timeout stopped it), never the agent; a fresh worker
 * takes the next job. What run itself throws is an ordinary THROWN.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Agent } from '../../src/daemon/agent.js';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { isAlive, loaded, runTree, typesDir, writeType } from '../helpers/plugins.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

async function crashAgent(): Promise<{ agent: Agent; dir: string }> {
  const dir = typesDir('crashy.mjs', 'echo-pid.mjs');
  const agent = await makeAgent(makeStore(), {
    concurrency: 4,
    env: {
      JOBTREE_JOB_TYPES_DIRS: dir,
      JOBTREE_JOB_TYPES_MAX_HEAP_MB: '48',
      JOBTREE_SHELL_KILL_GRACE_MS: '300',
    },
  });
  await loaded(agent, 'fine');
  await loaded(agent, 'echo-pid');
  return { agent, dir };
}

async function finalJob(agent: Agent, type: string, extra: Record<string, unknown> = {}) {
  const res = await runTree(agent.url, { job: { title: type, type, ...extra } }, 60);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.job;
}

describe('agent: isolation of module job types', () => {
  for (const [type, why] of [
    ['exits', /exited with code 3/],
    ['throws-later', /uncaught exception: Error: boom outside run/],
    ['rejects-later', /unhandled rejection: Error: nobody catches this/],
    ['leaks', /its heap passed jobTypes.maxHeapMb/],
  ] as const) {
    it(`fails a job whose worker ${type} with TYPE_CRASHED; a fresh worker takes the next (§11)`, async function () {
      this.timeout(60000);
      const { agent } = await crashAgent();
      const before = (await finalJob(agent, 'fine')).result.pid as number;
      const job = await finalJob(agent, type);
      expect(job.state).to.equal('FAILED');
      expect(job.error.code).to.equal('TYPE_CRASHED');
      expect(job.error.message).to.match(why);
      expect(isAlive(before)).to.equal(false);
      const after = await finalJob(agent, 'fine');
      expect(after.state).to.equal('SUCCESS');
      expect(after.result.pid).to.not.equal(before);
      const health = await http(agent.url, 'GET', '/api/v1/health');
      expect(health.status).to.equal(200);
    });
  }

  it('fails only the crashed worker’s jobs: another module’s running job goes on (§11)', async () => {
    const { agent, dir } = await crashAgent();
    const gate = join(dir, 'open-gate');
    writeType(
      dir,
      'other.mjs',
      `import { existsSync } from 'node:fs';
       export default { name: 'other', async run() {
         while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));
         return { summary: 'outlived the crash' };
       } };`,
    );
    await loaded(agent, 'other');
    // `gated` lives in crashy.mjs's worker and shares its crash; `other` has a worker of its own
    const other = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'other', type: 'other' },
    });
    const shared = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'shared', type: 'gated', params: { gate } },
    });
    await waitFor(
      async () =>
        (await http(agent.url, 'GET', `/api/v1/jobs/${shared.body.root}`)).body.state === 'RUNNING',
    );
    const crashed = await finalJob(agent, 'exits');
    expect(crashed.error.code).to.equal('TYPE_CRASHED');
    const sharedJob = await waitFor(async () => {
      const j = (await http(agent.url, 'GET', `/api/v1/jobs/${shared.body.root}`)).body;
      return j.state !== 'RUNNING' ? j : undefined;
    });
    expect(sharedJob.error.code).to.equal('TYPE_CRASHED');
    expect((await http(agent.url, 'GET', `/api/v1/jobs/${other.body.root}`)).body.state).to.equal(
      'RUNNING',
    );
    writeFileSync(gate, '');
    const otherJob = await waitFor(async () => {
      const j = (await http(agent.url, 'GET', `/api/v1/jobs/${other.body.root}`)).body;
      return j.state !== 'RUNNING' ? j : undefined;
    });
    expect(otherJob.state).to.equal('SUCCESS');
    expect(otherJob.summary).to.equal('outlived the crash');
  });

  it('fails the jobs of a worker the kernel kills (SIGKILL) with TYPE_CRASHED (§11)', async () => {
    const { agent, dir } = await crashAgent();
    const res = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'victim', type: 'gated', params: { gate: join(dir, 'never') } },
    });
    const pid = await waitFor(async () => {
      const log = (await http(agent.url, 'GET', `/api/v1/jobs/${res.body.root}/log`))
        .body as string;
      return Number(/ in (\d+)/.exec(log)?.[1]) || undefined;
    });
    process.kill(pid, 'SIGKILL');
    const job = await waitFor(async () => {
      const j = (await http(agent.url, 'GET', `/api/v1/jobs/${res.body.root}`)).body;
      return j.state !== 'RUNNING' ? j : undefined;
    });
    expect(job.error.code).to.equal('TYPE_CRASHED');
    expect(job.error.message).to.include('killed by SIGKILL');
  });

  it('kills a worker that spins through its timeout after the grace period: TIMEOUT (§11)', async () => {
    const { agent } = await crashAgent();
    const job = await finalJob(agent, 'spins', { timeoutMs: 300 });
    expect(job.state).to.equal('FAILED');
    expect(job.error.code).to.equal('TIMEOUT');
    expect((await finalJob(agent, 'fine')).state).to.equal('SUCCESS');
  });

  it('keeps what run throws an ordinary THROWN failure, with its stack in the log (§5)', async () => {
    const { agent } = await crashAgent();
    const job = await finalJob(agent, 'fails');
    expect(job.error).to.deep.equal({ code: 'THROWN', message: 'an ordinary failure' });
    const log = await waitFor(async () => {
      const l = (await http(agent.url, 'GET', `/api/v1/jobs/${job.id}/log`)).body as string;
      return l.includes(' finished ') ? l : undefined;
    });
    expect(log).to.match(/Error: an ordinary failure\n.*at /);
  });
});
