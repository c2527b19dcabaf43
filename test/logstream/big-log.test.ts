/**
 * A 100 MB log streams through a relay with bounded memory (issue 3): the
 * follower reads 64 KiB chunks and the relay acknowledges each one only
 * when its subscriber has taken it, so neither node holds the file.
 */
import { expect } from 'chai';
import type { JobType } from '../../src/node-agent/job-types/job-type.js';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { http } from '../helpers/http.js';
import { connect, until } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';

const MB = 1024 * 1024;

// ~100 MB of 100-character lines, in batches, yielding to the loop between them
const blast: JobType = {
  name: 'blast',
  paramsSchema: { type: 'object' },
  async run(ctx) {
    const batch = Array.from({ length: 512 }, (_, i) => `${i}`.padEnd(100, '.')).join('\n');
    for (let written = 0; written < 100 * MB; written += 512 * 130) {
      ctx.log(batch);
      await new Promise((r) => setImmediate(r));
    }
    return {};
  },
};

describe('logstream: a 100 MB log', function () {
  this.timeout(120000);

  it('streams through a relay exactly, without either node holding it in memory', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const a = await makeAgent(store, { node: 'a', types: [blast] });
    await makeAgent(store, { node: 'b', types: [blast] });
    const { body } = await http(a.url, 'POST', '/api/v1/trees', {
      job: { title: 'big', type: 'blast', node: 'b' },
    });
    await log.until((e) => e.job === body.root && e.state === 'SUCCESS', 60000);
    await until(async () => {
      const r = await http(a.url, 'GET', `/api/v1/jobs/${body.root}/log?offset=-1`);
      return r.headers.get('x-log-complete') === 'true';
    }, 'a complete log');
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let received = 0;
    let next = 0;
    let gaps = 0;
    const socket = await connect(a.url);
    const ended = new Promise<number>((resolve) => socket.on('log:end', (m) => resolve(m.size)));
    socket.on('log:data', (m) => {
      if (m.offset !== next) gaps += 1;
      const bytes = Buffer.byteLength(m.data);
      next = m.offset + bytes;
      received += bytes;
      peak = Math.max(peak, process.memoryUsage().rss);
    });
    socket.emit('log:subscribe', { job: body.root, offset: 0 });
    const size = await ended;
    expect(gaps).to.equal(0);
    expect(received).to.equal(size);
    expect(size).to.be.greaterThan(100 * MB);
    // both agents and the client live in this process: holding the file anywhere would add 100 MB or more
    expect((peak - baseline) / MB).to.be.below(64);
  });
});
