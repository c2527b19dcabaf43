/**
 * `jobtree logs` (SPEC §19, the reads): every line of a tree's jobs from
 * the nodes that ran them, merged by time with stern-like prefixes; a tag
 * query's trees; filters by job, source and text; the last N lines; JSON
 * lines whose offset opens the job's log at that line.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { runCli, spawnAgent } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';

describe('cli: jobtree logs', function () {
  this.timeout(60000);

  it('prints a tree’s logs from two nodes merged by time, filtered, tailed, or as JSON', async () => {
    const prefix = `jt-${randomUUID()}`;
    const [a] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const url = a!.url;
    const say = (title: string, node: string, words: string[]) => ({
      title,
      type: 'shell',
      node,
      params: { command: words.map((w) => `echo ${w}; sleep 0.05`).join('; ') + '; echo oops >&2' },
    });
    const made = await http(url, 'POST', '/api/v1/trees?wait=true', {
      tags: { app: `shop-${prefix}` },
      job: {
        title: 'deploy',
        type: 'noop',
        children: [say('on-a', 'a', ['a1', 'a2']), say('on-b', 'b', ['b1', 'b2'])],
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const root = made.body.root as string;
    const cli = (...args: string[]) => runCli(['--server', url, 'logs', ...args]);

    const all = await cli(root);
    expect(all.code, all.stderr).to.equal(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines).to.include('on-a@a | stdout a1');
    expect(lines).to.include('on-b@b | stdout b2');
    expect(lines.some((l) => l.startsWith('deploy@a | agent finished SUCCESS'))).to.equal(true);
    expect(lines.indexOf('on-a@a | stdout a1')).to.be.below(lines.indexOf('on-a@a | stdout a2'));
    // the root starts once both children are over: its lines come after theirs
    const rootStarted = lines.findIndex((l) => l.startsWith('deploy@a | agent started'));
    expect(rootStarted).to.be.above(lines.indexOf('on-b@b | stdout b2'));

    const errors = await cli(root, '--source', 'stderr');
    // the two children ran side by side: their lines come in the order they were written
    expect(errors.stdout.trimEnd().split('\n').sort()).to.deep.equal([
      'on-a@a | stderr oops',
      'on-b@b | stderr oops',
    ]);
    const grep = await cli(root, '--grep', 'b1');
    expect(grep.stdout).to.equal('on-b@b | stdout b1\n');
    const last = await cli(root, '--tail', '1');
    expect(last.stdout).to.match(/^deploy@a \| agent finished SUCCESS after \d+ ms\n$/);

    const byTag = await cli('--tag', `app=shop-${prefix}`, '--source', 'stdout');
    expect(byTag.stdout.trimEnd().split('\n')).to.have.length(4);

    const json = await cli(root, '--json', '--grep', 'a2');
    const [line] = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line).to.include({ root, title: 'on-a', node: 'a', source: 'stdout', text: 'a2' });
    const at = await http(url, 'GET', `/api/v1/jobs/${line.job}/log?offset=${line.offset}`);
    expect(at.body).to.match(/^\S+ stdout a2\n/);

    // search: every node's files at once, printed as the lines are
    const found = await cli('search', root, '--q', '2', '--source', 'stdout');
    expect(found.code, found.stderr).to.equal(0);
    expect(found.stdout.trimEnd().split('\n').sort()).to.deep.equal([
      'on-a@a | stdout a2',
      'on-b@b | stdout b2',
    ]);
    const one = await cli(
      'search',
      '--tag',
      `app=shop-${prefix}`,
      '--re',
      '^b\\d$',
      '--limit',
      '1',
    );
    expect(one.stdout).to.match(/^on-b@b \| stdout b[12]\n$/);
    const badRe = await cli('search', root, '--re', '(a)\\1');
    expect(badRe.code).to.equal(2);
    expect(badRe.stderr).to.include('(at re)');

    const usage = await cli(root, '--source', 'nope');
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.include('--source wants one of');
  });

  it('follows a running tree with -f until it ends, a node’s jobs with --node, and lines since a time', async () => {
    const prefix = `jt-${randomUUID()}`;
    const [a] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const url = a!.url;
    const tick = (title: string, node: string) => ({
      title,
      type: 'shell',
      node,
      params: { command: `for i in 1 2 3 4 5; do echo ${title}-$i; sleep 0.2; done` },
    });
    const made = await http(url, 'POST', '/api/v1/trees', {
      job: { title: 'deploy', type: 'noop', children: [tick('ta', 'a'), tick('tb', 'b')] },
    });
    const root = made.body.root as string;
    const cli = (...args: string[]) => runCli(['--server', url, 'logs', ...args]);
    // started while the tree runs: every line of both nodes, then it exits as the tree ends
    const followed = await cli(root, '-f', '--source', 'stdout');
    expect(followed.code, followed.stderr).to.equal(0);
    const lines = followed.stdout.trimEnd().split('\n');
    for (const t of ['ta@a', 'tb@b'])
      expect(lines.filter((l) => l.startsWith(`${t} |`))).to.have.length(5);
    const tree = await http(url, 'GET', `/api/v1/trees/${root}`);
    expect(tree.body.state).to.equal('SUCCESS'); // -f ended with the tree

    const onB = await cli('--node', 'b', '--tail', '3', '--source', 'stdout');
    expect(onB.stdout.trimEnd().split('\n')).to.deep.equal([
      'tb@b | stdout tb-3',
      'tb@b | stdout tb-4',
      'tb@b | stdout tb-5',
    ]);
    const recent = await cli(root, '--since', '1h', '--grep', 'ta-1');
    expect(recent.stdout).to.equal('ta@a | stdout ta-1\n');
    await new Promise((r) => setTimeout(r, 1100));
    const none = await cli(root, '--since', '1s');
    expect(none.code).to.equal(0);
    expect(none.stdout).to.equal('');
    const unknown = await cli('00000000-0000-4000-8000-000000000000');
    expect(unknown.code).to.equal(3);
    expect(unknown.stderr).to.include('NOT_FOUND');
    const badSince = await cli(root, '--since', 'yesterday');
    expect(badSince.code).to.equal(2);
  });
});
