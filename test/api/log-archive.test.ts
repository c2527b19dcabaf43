/**
 * Logs outlive their node (SPEC §19): when a job ends, its log is kept
 * compressed with its tree in Redis; once its node is gone every read, tail
 * and search of it is served from there, marked as such; the archive of a
 * retried job holds every try; one past `logs.archive.maxBytes` keeps its
 * head and tail; retention deletes it with the tree; and with archives off
 * a gone node's log is NODE_UNAVAILABLE as before.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { JobType } from '../../src/node-agent/job-types/job-type.js';
import { makeAgent } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';
import { track } from '../helpers/track.js';

/** Fails its first try (the agent writes the lines itself: the archive's copy path). */
const flaky: JobType = {
  name: 'flaky',
  paramsSchema: { type: 'object' },
  async run(ctx) {
    const tries = ((flaky as { tries?: Map<string, number> }).tries ??= new Map());
    const n = (tries.get(ctx.id) ?? 0) + 1;
    tries.set(ctx.id, n);
    ctx.log(`try ${n} says hello`);
    if (n === 1) throw new Error('first try fails');
    return {};
  },
};

describe('api: logs outlive their node (§19 archive)', function () {
  this.timeout(30000);

  it('serves a gone node’s log from its archive: read, tail and search, each marked', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    const b = await makeAgent(store, { node: 'b' });
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
      job: {
        title: 'talk',
        type: 'shell',
        node: 'b',
        params: { command: "echo 'hello from b'; echo 'connection refused' >&2" },
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const job = made.body.root as string;
    const before = await http(a.url, 'GET', `/api/v1/jobs/${job}/log`);
    expect(before.headers.get('x-log-source')).to.equal(null); // read from b itself
    await until(async () => (await store.readArchive(job, job)) !== null, 'the archive stored');
    await b.stop();

    const after = await http(a.url, 'GET', `/api/v1/jobs/${job}/log`);
    expect(after.status).to.equal(200);
    expect(after.headers.get('x-log-source')).to.equal('archive');
    expect(after.headers.get('x-log-complete')).to.equal('true');
    expect(after.body).to.equal(before.body);
    const text = before.body as string;
    const from = text.lastIndexOf('\n', text.indexOf('stderr connection')) + 1; // its line's start (ASCII)
    const part = await http(a.url, 'GET', `/api/v1/jobs/${job}/log?offset=${from}`);
    expect(part.body).to.equal((before.body as string).slice(from));
    expect(part.headers.get('x-log-start')).to.equal(String(from));

    const socket = await connect(a.url);
    const tail = follow(socket, job, 0);
    await until(() => tail.end ?? tail.error, 'the archived log ends');
    expect(tail.error).to.equal(null);
    expect(tail.text).to.equal(before.body);
    expect(tail.end).to.include({ state: 'SUCCESS', size: Buffer.byteLength(before.body) });

    const found = await http(a.url, 'GET', `/api/v1/logs/search?root=${job}&q=refused`);
    expect(found.body.matches).to.have.length(1);
    expect(found.body.matches[0]).to.include({
      node: 'b',
      source: 'stderr',
      text: 'connection refused',
      archived: true,
      offset: from,
    });
  });

  it('keeps every try of a retried job, and the head and tail of a log past maxBytes', async () => {
    const store = makeStore();
    const a = await makeAgent(store, {
      node: 'a',
      types: [flaky],
      env: { JOBTREE_LOGS_ARCHIVE_MAX_BYTES: '4096' },
    });
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
      job: {
        title: 'both',
        type: 'noop',
        children: [
          {
            title: 'flaky',
            type: 'flaky',
            retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
          },
          { title: 'loud', type: 'shell', params: { command: 'seq 1 2000' } },
        ],
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const [flakyJob, loud] = made.body.job.children as Array<{ id: string }>;
    const root = made.body.root as string;
    const archived = async (id: string) => {
      const got = await until(async () => store.readArchive(root, id), 'archived');
      const { expandLog } = await import('../../src/logstream/archive.js');
      return (await expandLog(got.data, 1 << 20))!.toString();
    };
    const file = (id: string) =>
      readFileSync(join(a.config.dataDir, 'logs', root, `${id}.log`), 'utf8');
    // both tries, as in the file: the copy of the second try alone is not the file
    const tries = await until(async () => {
      const text = await archived(flakyJob!.id);
      return text.includes('--- attempt 2') && text.includes('finished SUCCESS') && text;
    }, 'the second try archived');
    expect(tries).to.equal(file(flakyJob!.id));
    expect(tries).to.match(/try 1 says hello[\s\S]*try 2 says hello/);
    // 2,000 lines: the first and the last kept whole, the middle cut and said so
    const big = await archived(loud!.id);
    expect(Buffer.byteLength(big)).to.be.below(4096 + 200);
    expect(big).to.match(/ stdout 1\n/);
    expect(big).to.match(/ stdout 2000\n/);
    expect(big).to.match(/ agent --- \d+ bytes of this log were cut from its archive/);
  });

  it('deletes the archives with their tree, and keeps none for a tree already gone', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 'one', type: 'noop' },
    });
    const root = made.body.root as string;
    await until(async () => (await store.readArchive(root, root)) !== null, 'archived');
    const redis = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    expect(await redis.exists(`${store.prefix}:{${root}}:logs`)).to.equal(1);
    expect(await store.deleteTree(root)).to.be.a('number');
    expect(
      await redis.exists(`${store.prefix}:{${root}}:logs`, `${store.prefix}:{${root}}:lognodes`),
    ).to.equal(0);
    const kept = await store.archiveLogs([
      { root, job: root, node: 'a', data: Buffer.from('late') },
    ]);
    expect(kept).to.equal(0); // an archive that comes after its tree's deletion is dropped
    expect(await redis.exists(`${store.prefix}:{${root}}:logs`)).to.equal(0);
  });

  it('with archives off, keeps none, and a gone node’s log is NODE_UNAVAILABLE', async () => {
    const store = makeStore();
    const off = { JOBTREE_LOGS_ARCHIVE_ENABLED: 'false' };
    const a = await makeAgent(store, { node: 'a', env: off });
    const b = await makeAgent(store, { node: 'b', env: off });
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 'on b', type: 'noop', node: 'b' },
    });
    const job = made.body.root as string;
    await b.stop(); // its logs are on disk, all written
    expect(await store.readArchive(job, job)).to.equal(null);
    const read = await http(a.url, 'GET', `/api/v1/jobs/${job}/log`);
    expect(read.status).to.equal(503);
    expect(read.body.error.code).to.equal('NODE_UNAVAILABLE');
    expect(read.headers.get('retry-after')).to.equal('5');
  });
});
