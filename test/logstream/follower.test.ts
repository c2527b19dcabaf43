/**
 * LogFollower on its own: a tail subscription (negative offset) starts at
 * a line of the tail even when the log grows while the follower is still
 * working out where that is. (Before, a growth event in that moment started
 * a read from byte 0: the UI's "last 100 KiB" began at line 1.)
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { JobLogs } from '../../src/logstream/job-logs.js';
import { LogFollower } from '../../src/logstream/follower.js';
import { tempDir } from '../helpers/agents.js';
import { waitFor } from '../helpers/wait.js';

describe('LogFollower', () => {
  it('starts a tail at the tail even if the log grows while it starts', async () => {
    const logs = new JobLogs(tempDir());
    const root = randomUUID();
    const path = logs.path(root, root);
    mkdirSync(dirname(path), { recursive: true });
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}\n`).join('');
    writeFileSync(path, lines);
    const chunks: Array<{ offset: number; data: string }> = [];
    const follower = new LogFollower({ id: root, path, finalState: async () => 'SUCCESS' }, logs, {
      data: (offset, data) => void chunks.push({ offset, data }),
      end: () => undefined,
      error: () => undefined,
    });
    const started = follower.start(-100);
    logs.emit('log:grew', root); // the writer says the file grew, mid-start
    await started;
    await waitFor(() => chunks.length > 0, { what: 'the tail' });
    follower.stop();
    expect(chunks[0]!.offset).to.be.at.least(lines.length - 100);
    expect(chunks.map((c) => c.data).join('')).to.equal(lines.slice(chunks[0]!.offset));
  });
});
