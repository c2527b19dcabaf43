/**
 * The CLI of SPEC §8 as a user runs it: submit from a file or stdin with
 * --wait, show, pause and resume, exit codes (0 ok, 1 tree failed, 2 usage, 3 not found,
 * 4 unreachable), and an agent that refuses a bad config naming the key.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '../../src/shared/ids.js';
import { BIN, runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { freePort } from '../helpers/redis.js';
import { makeStore } from '../helpers/store.js';

describe('e2e: the jobtree CLI', function () {
  this.timeout(60000);

  it('submits with --wait and exits 0 on success, 1 on failure', async () => {
    const agent = await spawnAgent({
      node: 'cli',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
    });
    const file = join(tempDir(), 'ok.json');
    writeFileSync(
      file,
      JSON.stringify({
        tags: { app: 'x' },
        job: {
          title: 'ok',
          type: 'noop',
          children: [{ title: 'c', type: 'shell', params: { command: 'echo hi' } }],
        },
      }),
    );
    const ok = await runCli(['--server', agent.url, 'submit', file, '--wait']);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.match(/^tree \S+ SUCCESS app=x/);
    expect(ok.stdout).to.match(/└─ ✔ c \[SUCCESS\] @cli \S+ — exit 0/);
    const bad = await runCli(['--server', agent.url, 'submit', '-', '--wait', '--json'], {
      input: JSON.stringify({
        job: { title: 'bad', type: 'shell', params: { command: 'exit 7' } },
      }),
    });
    expect(bad.code).to.equal(1);
    expect(JSON.parse(bad.stdout).job.error).to.deep.equal({
      code: 'EXIT',
      message: 'exit code 7',
    });
  });

  it('pauses a tree: its running job ends, its parent waits while other trees run, then resumes', async () => {
    const prefix = `jt-${randomUUID()}`;
    const events = await collectEvents(makeStore(testRedisUrl(), prefix));
    const agent = await spawnAgent({ node: 'cli3', redisUrl: testRedisUrl(), prefix });
    const gate = join(tempDir(), 'go');
    const cli = (...args: string[]) => runCli(['--server', agent.url, ...args]);
    const sub = await runCli(['--server', agent.url, 'submit', '-', '--json'], {
      input: JSON.stringify({
        job: {
          title: 'release',
          type: 'noop',
          children: [
            {
              title: 'build',
              type: 'shell',
              params: { command: `while [ ! -e '${gate}' ]; do sleep 0.05; done` },
            },
          ],
        },
      }),
    });
    const { root, jobs } = JSON.parse(sub.stdout) as { root: string; jobs: Array<{ id: string }> };
    const build = jobs[1]!.id;
    await events.until((e) => e.job === build && e.state === 'RUNNING');

    const paused = await cli('pause', build); // any job of the tree names it
    expect(paused.code).to.equal(0);
    expect(paused.stdout).to.equal(`tree ${root} is paused now\n`);
    writeFileSync(gate, '');
    await events.until((e) => e.job === build && e.state === 'SUCCESS');
    await events.until((e) => e.job === root && e.state === 'QUEUED');
    // the node goes on taking other work while the paused tree's root waits
    const other = await runCli(['--server', agent.url, 'submit', '-', '--wait'], {
      input: JSON.stringify({ job: { title: 'other', type: 'noop' } }),
    });
    expect(other.code).to.equal(0);
    const shown = await cli('show', root);
    expect(shown.stdout).to.match(new RegExp(`^tree ${root} RUNNING \\(paused\\)`));
    expect(shown.stdout).to.match(/release \[QUEUED\]/);

    const resumed = await cli('resume', root);
    expect(resumed.stdout).to.equal(`tree ${root} is running now\n`);
    await events.until((e) => e.job === root && e.state === 'SUCCESS');
    const late = await cli('resume', root);
    expect(late.code).to.equal(2); // a 409, like every refused request
    expect(late.stderr).to.match(/has finished/);
  });

  it('lists trees newest first, a page at a time', async () => {
    const agent = await spawnAgent({
      node: 'cli4',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
    });
    const roots: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const res = await runCli(['--server', agent.url, 'submit', '-', '--json'], {
        input: JSON.stringify({ job: { title, type: 'noop' } }),
      });
      roots.unshift((JSON.parse(res.stdout) as { root: string }).root);
    }
    const rootsIn = (out: string) =>
      out.split('\n').flatMap((l) => /^(\S{36}) /.exec(l)?.[1] ?? []);
    const first = await runCli(['--server', agent.url, 'ls', '--limit', '2']);
    expect(rootsIn(first.stdout)).to.deep.equal(roots.slice(0, 2));
    const cursor = /^more: add --cursor (\S+)$/m.exec(first.stdout)?.[1];
    expect(cursor).to.be.a('string');
    const second = await runCli(['--server', agent.url, 'ls', '--limit', '2', '--cursor', cursor!]);
    expect(rootsIn(second.stdout)).to.deep.equal(roots.slice(2));
    expect(second.stdout).not.to.match(/^more:/m);
  });

  it('exits 2 on usage errors and bad trees, 3 for unknown ids, 4 when the server is unreachable', async () => {
    const agent = await spawnAgent({
      node: 'cli2',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
    });
    expect((await runCli(['frobnicate'])).code).to.equal(2);
    const invalid = await runCli(['--server', agent.url, 'submit', '-'], {
      input: '{"job":{"title":"x"}}',
    });
    expect(invalid.code).to.equal(2);
    expect(invalid.stderr).to.match(/job\.type/);
    expect((await runCli(['--server', agent.url, 'show', newId()])).code).to.equal(3);
    const port = await freePort();
    const down = await runCli(['--server', `http://127.0.0.1:${port}`, 'ls']);
    expect(down.code).to.equal(4);
    expect(down.stderr).to.match(/cannot reach/);
  });

  it('stops an agent with a bad config value, naming the key', async () => {
    const res = await runCli(['agent', '--port', '99999', '--redis', testRedisUrl()]);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.match(/config port: must be <= 65535/);
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ heartbeat: { ttlMs: 'soon' } }));
    const fromFile = await runCli(['agent', '--config', file, '--redis', testRedisUrl()]);
    expect(fromFile.stderr).to.match(/config heartbeat\.ttlMs: must be integer/);
    const open = await runCli(['agent', '--host', '0.0.0.0', '--redis', testRedisUrl()], {
      env: { JOBTREE_TOKEN: '' },
    });
    expect(open.stderr).to.match(
      /config auth\.token: listening on 0\.0\.0\.0 \(not loopback\) needs a token/,
    );
  });

  it('runs as an executable: its shebang line (env -S, the V8 pool flag) works here', async () => {
    const child = spawn(BIN, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, out).to.equal(0);
    expect(out).to.match(/^Usage: jobtree/);
  });

  it('stops cleanly with exit 0 on SIGTERM', async () => {
    const agent = await spawnAgent({
      node: 'term',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
    });
    expect(await agent.stop()).to.equal(0);
    expect(agent.output()).to.match(/agent stopped/);
  });
});
