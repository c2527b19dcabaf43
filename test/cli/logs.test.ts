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
});
