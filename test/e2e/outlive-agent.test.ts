/**
 * Jobs outlive their agent (SPEC §16) with real agent processes: a shell
 * job gated on a file runs on while its agent stops (`shutdown.mode:
 * "detach"`, SIGTERM) or is killed (kill -9); the agent started again on
 * the same data dir within the heartbeat TTL re-attaches, and the job ends
 * SUCCESS with its log whole: every line it wrote, the ones of the minutes
 * without an agent too, once each, and a follower through another node
 * got exactly the file. Past the TTL the reaper's NODE_LOST stands and the
 * job's processes are gone.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGroupAlive } from '../../src/supervisor/process-group.js';
import { readRecord, startFile, type StartRecord } from '../../src/supervisor/records.js';
import { spawnAgent, tempDir, type AgentProcess } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';
import { freePort } from '../helpers/redis.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

/** Ticks until the gate file appears, then says so: every tick numbered, to count them. */
const ticking = (gate: string) =>
  `i=0; while [ ! -e ${gate} ]; do i=$((i+1)); echo "tick $i"; sleep 0.02; done; echo "gate open after $i"`;

function ticks(text: string): number[] {
  return [...text.matchAll(/ stdout tick (\d+)\n/g)].map((m) => Number(m[1]));
}

async function setup(env: Record<string, string> = {}) {
  const prefix = `jt-${randomUUID()}`;
  const store = makeStore(testRedisUrl(), prefix);
  const events = await collectEvents(store);
  const dir = tempDir();
  const gate = join(dir, 'gate');
  const owner = { dataDir: tempDir(), port: await freePort() };
  const start = (extra: Record<string, string> = {}): Promise<AgentProcess> =>
    spawnAgent({
      node: 'b',
      redisUrl: testRedisUrl(),
      prefix,
      ...owner,
      env: { JOBTREE_SHUTDOWN_MODE: 'detach', ...env, ...extra },
    });
  const a = await spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix, env });
  const b = await start();
  const { body } = await http(a.url, 'POST', '/api/v1/trees', {
    job: { title: 'deploy', type: 'shell', node: 'b', params: { command: ticking(gate) } },
  });
  const root = body.root as string;
  const supervised = join(owner.dataDir, 'supervised', root);
  const record = await waitFor(() => {
    const r = readRecord<StartRecord>(startFile(supervised));
    return r?.pgid ? r : null;
  });
  return { store, events, gate, a, b, start, root, supervised, pgid: record.pgid! };
}

describe('e2e: jobs outlive their agent', function () {
  this.timeout(60000);

  for (const how of ['SIGTERM (detach)', 'kill -9'] as const) {
    it(`re-attaches after ${how}: the job ends SUCCESS and its log is whole`, async () => {
      const { events, gate, a, b, start, root, pgid, store } = await setup();
      const socket = await connect(a.url);
      const got = follow(socket, root, 0); // relayed by a from b, across b's restart
      await until(() => ticks(got.text).length >= 5, 'some ticks');
      if (how === 'kill -9') await b.kill9();
      else expect(await b.stop()).to.equal(0);
      // no agent on b now: the job runs on and its log grows
      expect(isGroupAlive(pgid)).to.equal(true);
      expect((await store.getJob(root)).state).to.equal('RUNNING');
      const b2 = await start();
      await until(() => got.text.includes('re-attached by b'), 're-attached line');
      const before = ticks(got.text).length;
      await until(() => ticks(got.text).length > before + 3, 'ticks after the re-attach');
      writeFileSync(gate, '');
      const end = await until(() => got.end, 'log:end');
      expect(end.state).to.equal('SUCCESS');
      const done = await events.until(
        (e) => e.job === root && ['SUCCESS', 'FAILED', 'ABORTED'].includes(e.state),
      );
      expect(done.state).to.equal('SUCCESS');
      expect(events.events.filter((e) => e.job === root && e.state === 'SUCCESS')).to.have.length(
        1,
      );
      const file = (await http(b2.url, 'GET', `/api/v1/jobs/${root}/log`)).body as string;
      expect(got.gaps).to.deep.equal([]);
      expect(got.text).to.equal(file);
      const n = ticks(file);
      expect(n).to.deep.equal(n.map((_, i) => i + 1)); // every tick once, in order, none lost
      expect(file).to.include(`stdout gate open after ${n.length}\n`);
      expect(file.match(/ agent finished /g)).to.have.length(1);
      expect(isGroupAlive(pgid)).to.equal(false);
    });
  }

  it('re-attaches after any number of restarts within the TTL (issue 26)', async () => {
    const { events, gate, start, b, root, pgid } = await setup();
    await b.kill9();
    const b2 = await start();
    await waitFor(
      async () => {
        const log = (await http(b2.url, 'GET', `/api/v1/jobs/${root}/log`)).body as string;
        return log.includes('re-attached by b');
      },
      { what: 'the first re-attach' },
    );
    expect(await b2.stop()).to.equal(0); // detach again, within the TTL
    const b3 = await start();
    await waitFor(
      async () => {
        const log = (await http(b3.url, 'GET', `/api/v1/jobs/${root}/log`)).body as string;
        return (log.match(/re-attached by b/g) ?? []).length === 2;
      },
      { what: 'the second re-attach' },
    );
    expect(isGroupAlive(pgid)).to.equal(true);
    writeFileSync(gate, '');
    const done = await events.until(
      (e) => e.job === root && ['SUCCESS', 'FAILED', 'ABORTED'].includes(e.state),
    );
    expect(done.state).to.equal('SUCCESS');
  });

  it('past the TTL: NODE_LOST stands, and the job is stopped (fencing)', async () => {
    const ttl = { JOBTREE_HEARTBEAT_TTL_MS: '1500' };
    const { events, b, start, root, pgid, supervised, store } = await setup(ttl);
    await b.kill9();
    const lost = await events.until((e) => e.job === root && e.state === 'FAILED');
    expect((await store.getJob(root)).error?.code).to.equal('NODE_LOST');
    await start();
    await waitFor(() => !isGroupAlive(pgid), { what: 'the job stopped' });
    await waitFor(() => !existsSync(supervised), { what: 'its directory removed' });
    const job = await store.getJob(root);
    expect(job.state).to.equal('FAILED');
    expect(job.error?.code).to.equal('NODE_LOST'); // its supervisor's end was no late report
    expect(job.finishedAt).to.equal(lost.at);
  });
});
