/**
 * LogFollower on its own: a tail subscription (negative offset) starts at
 * a line of the tail even when the log grows while the follower is still
 * working out where that is (before, a growth event in that moment started
 * a read from byte 0: the UI's "last 100 KiB" began at line 1); and a
 * follower holds nothing once it has ended, failed or been stopped, and
 * reads no more files at once than its server allows (SPEC §18).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { JobLogs } from '../../src/logstream/job-logs.js';
import { LogFollower } from '../../src/logstream/follower.js';
import type { LogSink } from '../../src/logstream/events.js';
import { Semaphore } from '../../src/shared/semaphore.js';
import { tempDir } from '../helpers/agents.js';
import { waitFor } from '../helpers/wait.js';

/** A job log of `text` on disk, and its id. */
function logOf(logs: JobLogs, text: string): { id: string; path: string } {
  const id = randomUUID();
  const path = logs.path(id, id);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return { id, path };
}

describe('LogFollower', () => {
  it('starts a tail at the tail even if the log grows while it starts', async () => {
    const logs = new JobLogs(tempDir());
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}\n`).join('');
    const { id, path } = logOf(logs, lines);
    const chunks: Array<{ offset: number; data: string }> = [];
    const follower = new LogFollower(
      { id, path, finalState: async () => 'SUCCESS' },
      logs,
      {
        data: (offset, data) => void chunks.push({ offset, data }),
        end: () => undefined,
        error: () => undefined,
      },
      new Semaphore(4),
    );
    const started = follower.start(-100);
    logs.changed(id); // the writer says the file grew, mid-start
    await started;
    await waitFor(() => chunks.length > 0, { what: 'the tail' });
    follower.stop();
    expect(chunks[0]!.offset).to.be.at.least(lines.length - 100);
    expect(chunks.map((c) => c.data).join('')).to.equal(lines.slice(chunks[0]!.offset));
  });

  it('lets go of its watch when it ends, fails or is stopped (§18)', async () => {
    const logs = new JobLogs(tempDir());
    const reads = new Semaphore(4);
    const ended: string[] = [];
    const sink = (name: string): LogSink => ({
      data: () => undefined,
      end: () => void ended.push(`${name} end`),
      error: () => void ended.push(`${name} error`),
    });
    const done = logOf(logs, 'a\n');
    const ends = new LogFollower(
      { ...done, finalState: async () => 'SUCCESS' },
      logs,
      sink('ends'),
      reads,
    );
    const broken = logOf(logs, 'b\n');
    const fails = new LogFollower(
      {
        ...broken,
        finalState: async () => {
          throw new Error('the store is gone');
        },
      },
      logs,
      sink('fails'),
      reads,
    );
    const running = logOf(logs, 'c\n');
    const stopped = new LogFollower(
      { ...running, finalState: async () => null },
      logs,
      sink('stopped'),
      reads,
    );
    await Promise.all([ends.start(0), fails.start(0), stopped.start(0)]);
    await waitFor(() => ended.length === 2, { what: 'the end and the failure' });
    expect(ended.sort()).to.deep.equal(['ends end', 'fails error']);
    expect(logs.watching).to.equal(1); // the running job's follower only
    stopped.stop();
    expect(logs.watching).to.equal(0);
    expect(reads.inUse).to.equal(0);
  });

  it('reads no more files at once than its semaphore allows, however many follow (§18)', async () => {
    const logs = new JobLogs(tempDir());
    const reads = new Semaphore(3);
    let most = 0;
    const text = 'x'.repeat(200 * 1024); // four chunks each
    const followers = Array.from({ length: 40 }, () => {
      const log = logOf(logs, text);
      let got = 0;
      const follower = new LogFollower(
        { ...log, finalState: async () => 'SUCCESS' },
        logs,
        {
          data: (_offset, data) => {
            most = Math.max(most, reads.inUse);
            got += data.length;
          },
          end: () => undefined,
          error: () => undefined,
        },
        reads,
      );
      return { follower, got: () => got };
    });
    await Promise.all(followers.map((f) => f.follower.start(0)));
    await waitFor(() => followers.every((f) => f.got() === text.length), { what: 'every log' });
    expect(most).to.equal(3); // busy, and never past it
    expect(reads.inUse).to.equal(0);
  });
});
