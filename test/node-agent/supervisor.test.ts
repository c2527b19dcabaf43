/**
 * The job supervisor (SPEC §16) as a process of its own, driven the way the
 * agent drives it: it records its start and end on disk, stops the job's
 * whole group when asked, stops it by itself when no agent is alive for
 * the heartbeat TTL, keeps the job going when its log cannot be written,
 * and a supervisor killed by hand fails its job with its processes gone.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ProcessHost, outcomeOf } from '../../src/supervisor/host.js';
import { isGroupAlive } from '../../src/supervisor/process-group.js';
import { readRecord, startFile, type StartRecord } from '../../src/supervisor/records.js';
import type { Supervised } from '../../src/supervisor/supervised.js';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { makeStore, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

/** A host whose agent file names this (live) process, unless told otherwise. */
function host(options: { orphanMs?: number; agentAlive?: boolean } = {}) {
  const dataDir = tempDir();
  const agentFile = join(dataDir, 'agent.json');
  if (options.agentAlive !== false) writeFileSync(agentFile, JSON.stringify({ pid: process.pid }));
  const grew: string[] = [];
  const h = track(
    new ProcessHost(
      { dataDir, killGraceMs: 300, orphanMs: options.orphanMs ?? 60000, agentFile },
      (id) => grew.push(id),
    ),
    (x) => x.close(),
  );
  return { h, dataDir, grew };
}

function launch(h: ProcessHost, command: string, logPath: string): Supervised {
  const job = { id: randomUUID(), root: randomUUID() };
  return h.launch(
    job,
    'token-1',
    'shell',
    { file: '/bin/sh', args: ['-c', command], env: { PATH: process.env.PATH ?? '' } },
    logPath,
  );
}

const startOf = (s: Supervised): Promise<StartRecord> =>
  waitFor(() => {
    const r = readRecord<StartRecord>(startFile(s.dir));
    return r?.pgid ? r : null;
  });

describe('supervisor', function () {
  this.timeout(20000);

  it('runs the job in its own group, writes its output and records its end', async () => {
    const { h, dataDir, grew } = host();
    const logPath = join(dataDir, 'job.log');
    writeFileSync(logPath, ''); // the agent's first lines make it before the supervisor starts
    const s = launch(h, 'echo out; echo err >&2; exit 4', logPath);
    const start = await startOf(s);
    expect(start.pid).to.equal(s.pid);
    expect(start.pgid).to.not.equal(start.pid); // the job's group is not the supervisor's
    const end = await s.ended;
    expect(end).to.include({ code: 4, signal: null });
    expect(() => outcomeOf('shell', end, s.dir)).to.throw('exit code 4');
    expect(readFileSync(logPath, 'utf8')).to.match(/Z stdout out\n.*Z stderr err\n$/s);
    expect(grew.length).to.be.above(0); // followers were told the file grew
  });

  it('keeps an idle supervisor for the next job, where a late stop of the last one changes nothing', async () => {
    const { h, dataDir } = host();
    const first = launch(h, 'exit 0', join(dataDir, 'l1'));
    await first.ended;
    const second = launch(h, 'sleep 0.3; echo second', join(dataDir, 'l2'));
    expect(second.pid).to.equal(first.pid); // one Node start for both
    first.stop(); // the abort of a job that is over: the supervisor's new job goes on
    const end = await second.ended;
    expect(end).to.include({ code: 0 });
    expect(end.stoppedBy).to.equal(undefined);
    expect(readFileSync(join(dataDir, 'l2'), 'utf8')).to.match(/ stdout second\n$/);
  });

  it('stops the whole group on stop(), SIGKILL after the grace for what ignores SIGTERM', async () => {
    const { h, dataDir } = host();
    const s = launch(h, "sleep 300 & (trap '' TERM; sleep 301) & wait", join(dataDir, 'l'));
    const { pgid } = await startOf(s);
    expect(isGroupAlive(pgid!)).to.equal(true);
    s.stop();
    const end = await s.ended;
    expect(end.stoppedBy).to.equal('agent');
    expect(isGroupAlive(pgid!)).to.equal(false);
  });

  it('stops the job itself when no agent is alive for the TTL (orphaned: NODE_LOST)', async () => {
    const { h, dataDir } = host({ orphanMs: 200, agentAlive: false });
    const s = launch(h, 'sleep 300', join(dataDir, 'l'));
    const { pgid } = await startOf(s);
    const end = await s.ended;
    expect(end.stoppedBy).to.equal('orphaned');
    expect(isGroupAlive(pgid!)).to.equal(false);
    expect(() => outcomeOf('shell', end, s.dir)).to.throw(/no agent ran on the node/);
  });

  it('keeps the job going when its log cannot be written (a full disk), and counts the lines lost', async () => {
    const { h } = host();
    const s = launch(h, 'echo a; echo b; echo c', '/dev/full'); // every write: ENOSPC
    const end = await s.ended;
    expect(end.code).to.equal(0);
    expect(end.logError).to.match(/ENOSPC/);
    expect(end.lostLines).to.equal(3);
    expect(outcomeOf('shell', end, s.dir)).to.deep.equal({
      result: { exitCode: 0 },
      summary: 'exit 0',
    });
  });

  it('fences a survivor: its processes are stopped and its directory removed', async () => {
    const { h, dataDir } = host();
    const s = launch(h, 'sleep 300', join(dataDir, 'l'));
    const { pgid } = await startOf(s);
    const [survivor] = h.survivors();
    expect(survivor?.start?.pgid).to.equal(pgid);
    await h.fence(survivor!);
    expect(isGroupAlive(pgid!)).to.equal(false);
    expect(h.survivors()).to.deep.equal([]);
  });

  it('fails the job with SUPERVISOR_LOST when its supervisor is killed by hand, and stops its processes', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store);
    const plan = await submit(store, {
      job: { title: 'r', type: 'shell', params: { command: 'sleep 300' } },
    });
    await log.until((e) => e.job === plan.root && e.state === 'RUNNING');
    const dir = join(agent.config.dataDir, 'supervised', plan.root);
    const start = await waitFor(() => {
      const r = readRecord<StartRecord>(startFile(dir));
      return r?.pgid ? r : null;
    });
    process.kill(start.pid, 'SIGKILL');
    await log.until((e) => e.job === plan.root && e.state === 'FAILED');
    const job = await store.getJob(plan.root);
    expect(job.error?.code).to.equal('SUPERVISOR_LOST');
    expect(job.error?.message).to.match(/was killed by SIGKILL/);
    expect(isGroupAlive(start.pgid!)).to.equal(false);
  });
});
