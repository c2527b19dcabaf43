/**
 * GET /api/v1/jobs/:id/log (SPEC §7) on the node that ran the job: bytes
 * from an offset, headers for start, size and completeness, clear errors.
 */
import { expect } from 'chai';
import { newId } from '../../src/shared/ids.js';
import { makeAgent } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('api: job logs', () => {
  it('serves the log from an offset (and for a length) with its size, and says when it is complete', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const agent = await makeAgent(store);
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'talk', type: 'shell', params: { command: 'echo one; echo two >&2' } },
    });
    await log.until((e) => e.job === body.root && e.state === 'SUCCESS');
    const full = await waitFor(async () => {
      const r = await http(agent.url, 'GET', `/api/v1/jobs/${body.root}/log`);
      return r.headers.get('x-log-complete') === 'true' && r;
    });
    expect(full.headers.get('content-type')).to.match(/^text\/plain/);
    expect(full.headers.get('x-job-state')).to.equal('SUCCESS');
    const text = full.body as string;
    expect(Number(full.headers.get('x-log-size'))).to.equal(Buffer.byteLength(text));
    expect(text).to.match(/ stdout one\n/);
    expect(text).to.match(/ stderr two\n/);
    const from = text.indexOf('stdout one');
    const part = await http(agent.url, 'GET', `/api/v1/jobs/${body.root}/log?offset=${from}`);
    expect(part.body).to.equal(text.slice(from));
    expect(part.headers.get('x-log-start')).to.equal(String(from));
    const slice = await http(
      agent.url,
      'GET',
      `/api/v1/jobs/${body.root}/log?offset=${from}&length=10`,
    );
    expect(slice.body).to.equal(text.slice(from, from + 10)); // "load earlier" reads a bounded range
    const lastLine = `${text.trimEnd().split('\n').pop()}\n`;
    // a few bytes more than the last line: starts at the last line's first byte
    const tail = await http(
      agent.url,
      'GET',
      `/api/v1/jobs/${body.root}/log?offset=-${lastLine.length + 3}`,
    );
    expect(tail.body).to.equal(lastLine);
  });

  it('has the whole log of a job once its end is published: a read right after it waits for the last lines', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    // issue 27: 19 of 40 such reads came back empty (the first lines wait 10 ms to be written)
    for (let i = 0; i < 40; i++) {
      const made = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
        job: { title: `quick ${i}`, type: 'noop' },
      });
      expect(made.body.state).to.equal('SUCCESS');
      const read = await http(agent.url, 'GET', `/api/v1/jobs/${made.body.root}/log`);
      expect(read.headers.get('x-log-complete'), `try ${i}`).to.equal('true');
      expect(read.body, `try ${i}`).to.match(/ agent finished SUCCESS /);
    }
  });

  it('has the whole log from any agent: one that proxies to the owner waits with it', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    await makeAgent(store, { node: 'b' });
    for (let i = 0; i < 10; i++) {
      const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
        job: { title: `on b ${i}`, type: 'noop', node: 'b' },
      });
      expect(made.body.state, `try ${i}`).to.equal('SUCCESS');
      const read = await http(a.url, 'GET', `/api/v1/jobs/${made.body.root}/log`);
      expect(read.headers.get('x-job-node')).to.equal('b');
      expect(read.headers.get('x-log-complete'), `try ${i}`).to.equal('true');
      expect(read.body, `try ${i}`).to.match(/ agent finished SUCCESS /);
    }
  });

  it('tails the whole log of a job subscribed to right after its end, then ends the tail', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    const socket = await connect(agent.url);
    for (let i = 0; i < 10; i++) {
      const made = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
        job: { title: `quick ${i}`, type: 'noop' },
      });
      const tail = follow(socket, made.body.root, 0);
      await until(() => tail.end ?? tail.error, 'the end of the tail');
      expect(tail.error, `try ${i}`).to.equal(null);
      expect(tail.text, `try ${i}`).to.match(/ agent finished SUCCESS after \d+ ms\n$/);
    }
  });

  it('answers an empty log for a job that has not started', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'r',
        type: 'noop',
        children: [{ title: 'long', type: 'sleep', params: { ms: 30000 } }],
      },
    });
    const res = await http(agent.url, 'GET', `/api/v1/jobs/${body.root}/log`);
    expect(res.status).to.equal(200);
    expect(res.body).to.equal('');
    expect(res.headers.get('x-log-complete')).to.equal('false');
  });

  it('answers 404 for unknown ids and 400 for a bad offset', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    expect((await http(agent.url, 'GET', `/api/v1/jobs/${newId()}/log`)).status).to.equal(404);
    expect(
      (await http(agent.url, 'GET', '/api/v1/jobs/..%2F..%2Fetc%2Fpasswd/log')).status,
    ).to.equal(404);
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'n', type: 'noop' },
    });
    const bad = await http(agent.url, 'GET', `/api/v1/jobs/${body.root}/log?offset=abc`);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.path).to.equal('offset');
  });
});
