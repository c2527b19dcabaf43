/**
 * `jobtree submit --follow` and `show --follow` (SPEC §8): the tree live
 * with the logs of its jobs prefixed by title, as plain lines when piped,
 * its pauses, and the exit code of the tree's end.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

/** `jobtree show ROOT --follow` as a process: its output so far, and its exit code. */
function showFollow(server: string, root: string) {
  const child = track(
    spawn(process.execPath, [BIN, '--server', server, 'show', root, '--follow']),
    (c) => {
      c.kill();
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { out: () => out, exited };
}

describe('e2e: following a tree from the CLI', function () {
  this.timeout(60000);

  it('shows transitions and job logs from two nodes, then the final tree, and exits by its state', async () => {
    const prefix = `jt-${randomUUID()}`;
    const [a] = await Promise.all(
      ['a', 'b'].map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
    );
    const ok = await runCli(['--server', a!.url, 'submit', '-', '--follow'], {
      input: JSON.stringify({
        job: {
          title: 'finish',
          type: 'shell',
          params: { command: 'echo all done' },
          children: [
            {
              title: 'on-b',
              type: 'shell',
              node: 'b',
              params: { command: 'for i in 1 2 3; do echo "b says $i"; sleep 0.05; done' },
            },
          ],
        },
      }),
    });
    expect(ok.code, ok.stderr).to.equal(0);
    const out = ok.stdout;
    expect(out).to.match(/^\S+\t2 jobs submitted\n/);
    expect(out).to.include('on-b | stdout b says 1\n');
    expect(out).to.include('on-b | stdout b says 3\n');
    expect(out).to.include('finish | stdout all done\n');
    expect(out).to.match(/on-b: RUNNING → SUCCESS @b\n/);
    expect(out.indexOf('b says 3')).to.be.below(out.indexOf('all done'));
    expect(out).to.match(/tree \S+ SUCCESS\n✔ finish \[SUCCESS\] @a/);

    const bad = await runCli(['--server', a!.url, 'submit', '-', '--follow'], {
      input: JSON.stringify({
        job: {
          title: 'broken',
          type: 'shell',
          node: 'b',
          params: { command: 'echo oops >&2; exit 4' },
        },
      }),
    });
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.include('broken | stderr oops\n');
    expect(bad.stdout).to.match(/broken \[FAILED\] @b .*EXIT: exit code 4/);

    const root = bad.stdout.split('\t')[0]!;
    const again = await runCli(['--server', a!.url, 'show', root, '--follow']);
    expect(again.code).to.equal(1);
    expect(again.stdout).to.include('broken | stderr oops\n');
  });

  it('says when the tree it follows is paused and resumed', async () => {
    const prefix = `jt-${randomUUID()}`;
    const agent = await spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix });
    const gate = join(tempDir(), 'go');
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'gated',
        type: 'shell',
        params: { command: `echo waiting; while [ ! -e '${gate}' ]; do sleep 0.05; done` },
      },
    });
    const follow = showFollow(agent.url, body.root);
    const seen = (text: string) =>
      waitFor(() => follow.out().includes(text), { what: text.trim() });
    await seen('gated | stdout waiting\n'); // subscribed to the tree and its log
    await http(agent.url, 'POST', `/api/v1/trees/${body.root}/pause`);
    await seen('tree paused\n');
    await http(agent.url, 'POST', `/api/v1/trees/${body.root}/resume`);
    await seen('tree resumed\n');
    writeFileSync(gate, '');
    const code = await follow.exited;
    const out = follow.out();
    expect(code).to.equal(0);
    expect(out.indexOf('tree paused')).to.be.below(out.indexOf('tree resumed'));
    expect(out).to.match(/tree \S+ SUCCESS\n/);
  });

  it('follows jobs grafted while it watches, each transition once, from the status channel alone', async () => {
    const prefix = `jt-${randomUUID()}`;
    const agent = await spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix });
    const dir = tempDir();
    const gate = join(dir, 'go');
    // the running job grafts two jobs under the root (not started yet), with its own token
    const script = join(dir, 'graft.mjs');
    writeFileSync(
      script,
      `const { JOBTREE_SERVER: server, JOBTREE_JOB_TOKEN: token, JOBTREE_ROOT_ID: root } = process.env;
const res = await fetch(server + '/api/v1/jobs/' + root + '/children', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
  body: JSON.stringify({ jobs: [
    { title: 'grafted-1', type: 'shell', params: { command: 'echo one' } },
    { title: 'grafted-2', type: 'shell', params: { command: 'echo two' } },
  ] }),
});
if (res.status !== 201) throw new Error('graft: ' + res.status + ' ' + (await res.text()));
`,
    );
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'parent',
        type: 'noop',
        children: [
          {
            title: 'grafter',
            type: 'shell',
            params: {
              command: `echo waiting; while [ ! -e '${gate}' ]; do sleep 0.05; done; '${process.execPath}' '${script}'`,
            },
          },
        ],
      },
    });
    const follow = showFollow(agent.url, body.root);
    await waitFor(() => follow.out().includes('grafter | stdout waiting\n'), {
      what: 'the follow to start',
    });
    writeFileSync(gate, '');
    const code = await follow.exited;
    const out = follow.out();
    expect(code, out).to.equal(0);
    for (const title of ['grafted-1', 'grafted-2']) {
      expect(out, out).to.include(`${title} | stdout ${title === 'grafted-1' ? 'one' : 'two'}\n`);
      const done = out.split('\n').filter((l) => l.startsWith(`${title}: RUNNING → SUCCESS`));
      expect(done, out).to.have.length(1);
    }
    expect(out).to.match(/tree \S+ SUCCESS\n/);
  });
});
