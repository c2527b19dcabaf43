/**
 * GET /api/v1/logs/search (SPEC §19): each node scans its own files and
 * the agent asked merges them; matches carry their job's title, node and
 * the offset that opens the log there; `re` runs in linear time or is
 * refused; a tag query names the trees; `limit` and `next` walk every
 * match once, across nodes.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { makeStore, nodeInfo } from '../helpers/store.js';
import { track } from '../helpers/track.js';

describe('api: log search (§19)', function () {
  this.timeout(30000);

  it('finds text in a tree’s logs on every node, pages through them, and refuses a bad pattern', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    await makeAgent(store, { node: 'b' });
    const say = (title: string, node: string, lines: string[]) => ({
      title,
      type: 'shell',
      node,
      params: { command: lines.map((l) => `echo '${l}'`).join('; ') + "; echo 'db: timeout' >&2" },
    });
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
      tags: { app: 'shop' },
      job: {
        title: 'deploy',
        type: 'noop',
        children: [
          say('web-1', 'a', ['GET /health 200', 'connection refused (db)', 'retrying']),
          say('web-2', 'b', ['connection refused (cache)', 'GET /health 200']),
        ],
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const root = made.body.root as string;
    const search = (query: string) => http(a.url, 'GET', `/api/v1/logs/search?${query}`);

    const found = await search(`root=${root}&q=${encodeURIComponent('connection refused')}`);
    expect(found.status).to.equal(200);
    const got = found.body.matches as Array<Record<string, string | number>>;
    expect(got.map((m) => `${m.title}@${m.node} ${m.source} ${m.text}`).sort()).to.deep.equal([
      'web-1@a stdout connection refused (db)',
      'web-2@b stdout connection refused (cache)',
    ]);
    expect(found.body.next).to.equal(null);
    expect(found.body.unavailable).to.deep.equal([]);
    expect(found.body.scanned.jobs).to.be.at.least(2); // the shell jobs (and the root once on disk)
    // a match's offset opens its job's log at that line, from any agent
    const m = got.find((x) => x.node === 'b')!;
    const at = await http(a.url, 'GET', `/api/v1/jobs/${m.job}/log?offset=${m.offset}`);
    expect(at.body).to.match(/^\S+ stdout connection refused \(cache\)\n/);

    const re = await search(`root=${root}&re=${encodeURIComponent('^GET /\\w+ 2\\d\\d$')}`);
    expect(re.body.matches).to.have.length(2);
    const errs = await search(`tag=app:shop&q=timeout&source=stderr`);
    expect(errs.body.matches.map((x: { title: string }) => x.title).sort()).to.deep.equal([
      'web-1',
      'web-2',
    ]);

    // one match a page: every line with a space, each once, across both nodes
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null && pages < 50) {
      const page = await search(
        `root=${root}&q=%20&source=stdout&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status, JSON.stringify(page.body)).to.equal(200);
      for (const x of page.body.matches) seen.push(`${x.job} ${x.offset}`);
      cursor = page.body.next;
      pages += 1;
    }
    expect(seen).to.have.length(4); // web-1: two lines with a space, web-2: two
    expect(new Set(seen).size).to.equal(4);

    const bad = await search(`root=${root}&re=${encodeURIComponent('(a+)\\1')}`);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.path).to.equal('re');
    for (const [query, path] of [
      [`q=x`, 'root'],
      [`root=${root}`, 'q'],
      [`root=${root}&q=x&re=y`, 'q'],
      [`root=${root}&q=x&limit=0`, 'limit'],
      [`root=${root}&q=x&source=nope`, 'source'],
      [`root=${root}&q=x&cursor=junk`, 'cursor'],
    ]) {
      const res = await search(query as string);
      expect(res.status, query).to.equal(400);
      expect(res.body.error.path, query).to.equal(path);
    }
  });

  it('stops at its time budget and goes on from there, finding each match once', async () => {
    const agent = await makeAgent(makeStore(), {
      node: 'a',
      env: { JOBTREE_LOGS_SEARCH_BUDGET_MS: '10' },
    });
    // about 8 MB of log, the needle in its last line: more than 10 ms of scanning
    const made = await http(agent.url, 'POST', '/api/v1/trees?wait=true&timeout=60', {
      job: {
        title: 'noisy',
        type: 'shell',
        params: { command: 'seq 1 200000; echo needle' },
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const found: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null && pages < 10_000) {
      const page = await http(
        agent.url,
        'GET',
        `/api/v1/logs/search?root=${made.body.root}&q=needle${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).to.equal(200);
      for (const m of page.body.matches) found.push(m.text);
      cursor = page.body.next;
      pages += 1;
    }
    expect(found).to.deep.equal(['needle']);
    expect(pages).to.be.greaterThan(1); // the budget cut the scan, and the cursor went on
  });

  it('takes a node’s answer only as far as it can be read: junk is a node that did not answer', async () => {
    const store = makeStore();
    const agent = await makeAgent(store, { node: 'a' });
    const made = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 'talk', type: 'shell', params: { command: 'echo hello there' } },
    });
    const root = made.body.root as string;
    // two "nodes" that answer for themselves: one junk, one with a good and a bad match
    const good = {
      root,
      job: root,
      at: '2026-01-01T00:00:00.000Z',
      source: 'stdout',
      text: 'hello from y',
      offset: 0,
      after: { r: 0, j: root, o: 10 },
    };
    const answers: Record<string, string> = {
      x: 'not json at all',
      y: JSON.stringify({
        matches: [good, { root: 'junk' }],
        next: null,
        scanned: { bytes: 5, jobs: 1 },
      }),
    };
    for (const [name, body] of Object.entries(answers)) {
      const server = track(
        createServer((_req, res) => res.end(body)),
        (s) => new Promise<void>((r) => s.close(() => r())),
      );
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      await store.registerNode({ ...nodeInfo(name), url: `http://127.0.0.1:${port}` }, 60_000);
    }
    const found = await http(agent.url, 'GET', `/api/v1/logs/search?root=${root}&q=hello`);
    expect(found.status).to.equal(200);
    expect(found.body.unavailable).to.deep.equal(['x']);
    expect(
      found.body.matches.map((m: { node: string; text: string }) => `${m.node} ${m.text}`).sort(),
    ).to.deep.equal(['a hello there', 'y hello from y']);
    expect(found.body.next).to.be.a('string'); // x is asked again with the next page
  });
});
