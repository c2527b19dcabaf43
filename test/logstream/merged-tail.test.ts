/**
 * The merged tail (SPEC §19) with agents on two nodes: one stream of a
 * tree's lines from both, each job's in file order with no gap or repeat,
 * merged by time, ended once the tree has ended and every line was sent;
 * filters; `from` (lines, now); a tag scope that picks up a tree
 * submitted later; a node scope; a resume that loses and repeats nothing;
 * and bad requests answered with the field they got wrong.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from '../../src/daemon/agent.js';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { connect, until } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';
import { lineOf, tail } from '../helpers/tail-client.js';

const say = (title: string, node: string, lines: number, extra = '') => ({
  title,
  type: 'shell',
  node,
  params: { command: `for i in $(seq 1 ${lines}); do echo "${title} line $i"; done${extra}` },
});

/** Every line of a job's log file, as the tail must have sent them. */
function fileLines(agent: Agent, root: string, job: string): string[] {
  const text = readFileSync(join(agent.config.dataDir, 'logs', root, `${job}.log`), 'utf8');
  return text.split('\n').filter(Boolean);
}

describe('logstream: merged tail (§19)', function () {
  this.timeout(30000);

  it('streams a tree’s lines from every node, each job whole and in order, merged by time, then ends', async () => {
    const store = makeStore();
    // the most SPEC §19 lets a line wait: lines that reach their disk within it are in time order
    const hold = { env: { JOBTREE_LOGS_TAIL_HOLD_MS: '250' } };
    const a = await makeAgent(store, { node: 'a', ...hold });
    const b = await makeAgent(store, { node: 'b', ...hold });
    const made = await http(a.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'deploy',
        type: 'noop',
        children: [
          say('web-1', 'a', 30),
          say('web-2', 'b', 30, '; echo oops >&2'),
          say('db', 'b', 5),
        ],
      },
    });
    const root = made.body.root as string;
    const socket = await connect(a.url);
    const t = tail(socket, { sub: 's1', scope: { root } });
    await until(() => t.ended || t.errors.length > 0, 'the tail ends');
    expect(t.errors).to.deep.equal([]);
    expect(t.gaps).to.deep.equal([]);
    const tree = await http(a.url, 'GET', `/api/v1/trees/${root}`);
    expect(tree.body.state).to.equal('SUCCESS');
    // each job's lines are its whole log, from the node that wrote it
    const jobs = [tree.body.job, ...tree.body.job.children] as Array<{
      id: string;
      title: string;
      node: string;
    }>;
    for (const job of jobs) {
      const agent = job.node === 'a' ? a : b;
      const got = t.lines.filter((l) => l.job === job.id);
      expect(got.map(lineOf), job.title).to.deep.equal(fileLines(agent, root, job.id));
      expect(
        got.every((l) => l.node === job.node && l.title === job.title && l.root === root),
      ).to.equal(true);
    }
    expect(t.lines.some((l) => l.source === 'stderr' && l.text === 'oops')).to.equal(true);
    // merged by time across the jobs of both nodes
    const times = t.lines.map((l) => l.at);
    expect(times).to.deep.equal([...times].sort());
    // an ended tail holds nothing on either node: no feed, no follower, no relay
    for (const agent of [a, b]) {
      const metrics = (await http(agent.url, 'GET', '/metrics')).body as string;
      const gauge = (name: string) =>
        Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[1]);
      await until(async () => {
        const m = (await http(agent.url, 'GET', '/metrics')).body as string;
        return (
          /^jobtree_log_tails\{[^}]*\} 0$/m.test(m) && /^jobtree_log_followers\{[^}]*\} 0$/m.test(m)
        );
      }, `nothing held on ${agent.config.node}`);
      expect(gauge('jobtree_log_relays')).to.equal(0);
    }
  });

  it('filters by source, text and job, and starts from the last lines or from now', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    await makeAgent(store, { node: 'b' });
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true', {
      job: {
        title: 'deploy',
        type: 'noop',
        children: [say('web-1', 'a', 20, '; echo "connection refused" >&2'), say('web-2', 'b', 20)],
      },
    });
    const root = made.body.root as string;
    // the root's last lines reach its disk just after its end: read it whole first (it waits)
    await http(a.url, 'GET', `/api/v1/jobs/${root}/log`);
    const socket = await connect(a.url);
    const errs = tail(socket, { sub: 'err', scope: { root }, filter: { sources: ['stderr'] } });
    const text = tail(socket, {
      sub: 'txt',
      scope: { root },
      filter: { text: { re: 'line 1\\d$' } },
    });
    const last = tail(socket, { sub: 'last', scope: { root }, from: { lines: 5 } });
    const now = tail(socket, { sub: 'now', scope: { root }, from: 'now' });
    await until(() => [errs, text, last, now].every((x) => x.ended), 'every tail ends');
    expect(errs.lines.map((l) => `${l.title} ${l.text}`)).to.deep.equal([
      'web-1 connection refused',
    ]);
    expect(text.lines.map((l) => l.text).sort()).to.have.length(20); // 10–19 of both jobs
    expect(text.lines.every((l) => /line 1\d$/.test(l.text))).to.equal(true);
    expect(last.lines).to.have.length(5);
    expect(last.lines.at(-1)!.text).to.match(/^finished SUCCESS/);
    expect(now.lines).to.deep.equal([]); // an ended tree from now: nothing, then its end
  });

  it('follows every tree of a tag query, one submitted later included, and a node’s jobs', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    const b = await makeAgent(store, { node: 'b' });
    const socket = await connect(b.url);
    const shop = tail(socket, { sub: 'shop', scope: { tags: { app: 'shop' } }, from: 'now' });
    const onA = tail(socket, { sub: 'a', scope: { node: 'a' }, from: 'now' });
    await until(() => shop.batches === 0 && onA.batches === 0 && true, 'subscribed');
    await new Promise((r) => setTimeout(r, 300)); // both tails set up before the trees come
    for (const app of ['shop', 'blog']) {
      await http(a.url, 'POST', '/api/v1/trees?wait=true', {
        tags: { app },
        job: {
          title: `${app}-deploy`,
          type: 'noop',
          children: [say(`${app}-a`, 'a', 3), say(`${app}-b`, 'b', 3)],
        },
      });
    }
    await until(
      () => shop.lines.filter((l) => l.text.startsWith('finished')).length === 3,
      'the shop tree’s ends',
    );
    expect(new Set(shop.lines.map((l) => l.title))).to.deep.equal(
      new Set(['shop-deploy', 'shop-a', 'shop-b']),
    );
    await until(
      () => onA.lines.filter((l) => l.text.startsWith('finished')).length >= 4,
      'a’s jobs',
    );
    expect(onA.lines.every((l) => l.node === 'a')).to.equal(true);
    expect(new Set(onA.lines.map((l) => l.title))).to.include.members(['shop-a', 'blog-a']);
    expect(shop.ended).to.equal(false); // a tag scope never ends
    expect(shop.gaps.concat(onA.gaps)).to.deep.equal([]);
  });

  it('resumes after a reconnect from the offsets it saw: nothing lost, nothing repeated', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    await makeAgent(store, { node: 'b' });
    const made = await http(a.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'slow',
        type: 'noop',
        children: [
          {
            title: 'ticker-a',
            type: 'shell',
            node: 'a',
            params: { command: 'for i in $(seq 1 40); do echo "a $i"; sleep 0.02; done' },
          },
          {
            title: 'ticker-b',
            type: 'shell',
            node: 'b',
            params: { command: 'for i in $(seq 1 40); do echo "b $i"; sleep 0.02; done' },
          },
        ],
      },
    });
    const root = made.body.root as string;
    const first = await connect(a.url);
    const t = tail(first, { sub: 'r', scope: { root } });
    await until(
      () => t.lines.some((l) => l.text === 'a 10') && t.lines.some((l) => l.text === 'b 10'),
      'some lines',
    );
    first.close();
    const seen = t.lines.length;
    const again = await connect(a.url);
    tail(again, { sub: 'r', scope: { root }, from: { offsets: { ...t.last } } }, t);
    await until(() => t.ended, 'the resumed tail ends');
    expect(t.gaps).to.deep.equal([]);
    expect(t.lines.length).to.be.above(seen);
    for (const side of ['a', 'b'])
      expect(t.lines.filter((l) => l.text.startsWith(`${side} `)).map((l) => l.text)).to.deep.equal(
        Array.from({ length: 40 }, (_, i) => `${side} ${i + 1}`),
      );
  });

  it('answers a bad request with the field it got wrong, and an unknown tree NOT_FOUND', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    const socket = await connect(a.url);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ sub: 'x', scope: {} }, /^scope/],
      [{ sub: 'x', scope: { root: 'nope' } }, /^scope\.root/],
      [{ sub: 'x', scope: { tags: { 'Bad Key': 'v' } } }, /^scope\.tags/],
      [{ sub: 'x', scope: { node: 'a' }, from: { lines: -1 } }, /^from\.lines/],
      [{ sub: 'x', scope: { node: 'a' }, filter: { sources: ['disk'] } }, /^filter\.sources/],
      [
        { sub: 'x', scope: { node: 'a' }, filter: { text: { re: '(a)\\1' } } },
        /^filter\.text\.re: cannot be matched in linear time/,
      ],
      [{ scope: { node: 'a' } }, /^sub/],
    ];
    for (const [req, message] of cases) {
      const t = tail(socket, { ...req, sub: req.sub ?? '' });
      await until(() => t.errors.length > 0, `an answer to ${JSON.stringify(req)}`);
      expect(t.errors[0]!.code).to.equal('BAD_REQUEST');
      expect(t.errors[0]!.message).to.match(message);
      socket.off('logs:data').off('logs:end').off('logs:error');
    }
    const none = tail(socket, {
      sub: 'none',
      scope: { root: '00000000-0000-4000-8000-000000000000' },
    });
    await until(() => none.errors.length > 0, 'NOT_FOUND');
    expect(none.errors[0]!.code).to.equal('NOT_FOUND');
    // a node that is not alive: said at once, never a tail that waits for ever
    const ghost = tail(socket, { sub: 'ghost', scope: { node: 'ghost' } });
    await until(() => ghost.errors.length > 0, 'NODE_UNAVAILABLE');
    expect(ghost.errors[0]!.code).to.equal('NODE_UNAVAILABLE');
    // a tag query that names no tree: an empty stream, ready at once
    const empty = tail(socket, { sub: 'empty', scope: { tags: { app: 'nothing-here' } } });
    await until(() => empty.batches > 0, 'the empty history');
    expect(empty.lines).to.deep.equal([]);
    expect(empty.errors).to.deep.equal([]);
  });
});
